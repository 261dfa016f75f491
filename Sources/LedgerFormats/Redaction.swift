import Foundation

/// Keeps secrets out of the ledger: Livy logs a session's `conf` verbatim (§1.3).
public enum Redaction {
    /// Key words that mark a conf value as secret (SPEC §7), matched case-insensitively.
    static let secretWords = ["password", "secret", "token", "credential", "key"]
    private static let secretWordBytes = secretWords.map { Array($0.utf8) }

    public static func isSecret(key: String) -> Bool {
        // An ASCII key on its bytes (below), not `lowercased()` and Foundation's `contains`
        // (through CFString): a CloudTrail record has dozens of keys (benchmarks/NOTES.md,
        // `Redaction.isSecret`).
        var bytes = key
        if let ascii = bytes.withUTF8({ u -> Bool? in
            let b = UnsafeRawBufferPointer(u)
            return b.allSatisfy({ $0 < 0x80 }) ? isSecret(b, 0..<b.count) : nil
        }) {
            return ascii
        }
        let k = key.lowercased()
        return secretWords.contains { k.contains($0) }
    }

    /// ``isSecret(key:)`` for the key in `key` of `b`.
    ///
    /// An ASCII key is searched here, folding `A`–`Z` (the words are lowercase letters, so
    /// `c | 0x20` folds exactly); any other goes through `lowercased()` and the String search,
    /// which fold more than ASCII (the Kelvin sign is a `k`) and match whole Characters only.
    static func isSecret(_ b: UnsafeRawBufferPointer, _ key: Range<Int>) -> Bool {
        guard key.allSatisfy({ b[$0] < 0x80 }) else { return isSecret(key: b.string(key)) }
        return secretWordBytes.contains { word in
            guard key.count >= word.count else { return false }
            return (key.lowerBound...(key.upperBound - word.count)).contains { at in
                word.indices.allSatisfy { b[at + $0] | 0x20 == word[$0] }
            }
        }
    }

    /// `k1 -> v1,k2 -> v2` in `conf` of `b` → pairs, secret values replaced by `***`.
    ///
    /// A piece without ` -> ` belongs to the previous value (values such as package lists hold
    /// commas). Pieces are split at commas that are Characters of their own, as `split` on the
    /// String did.
    static func confPairs(_ b: UnsafeRawBufferPointer, _ conf: Range<Int>) -> [(String, String)] {
        var pairs: [(key: Range<Int>, value: Range<Int>)] = []
        var start = conf.lowerBound
        while true {
            var end = conf.upperBound
            var search = start
            while let comma = b.firstOffset(of: ",", in: search..<conf.upperBound) {
                if b.isCharacterBoundary(comma, in: conf) && b.isCharacterBoundary(comma + 1, in: conf) {
                    end = comma
                    break
                }
                search = comma + 1
            }
            if let arrow = b.firstOffset(of: " -> ", in: start..<end) {
                pairs.append((start..<arrow, (arrow + 4)..<end))
            } else if let last = pairs.indices.last {
                // The previous value, this comma and this piece are one run of bytes.
                pairs[last].value = pairs[last].value.lowerBound..<end
            }
            guard end < conf.upperBound else { break }
            start = end + 1
        }
        return pairs.map { (b.string($0.key), isSecret(b, $0.key) ? "***" : b.string($0.value)) }
    }

    /// A JSON value with the values under secret-looking keys replaced by `***`, at any depth.
    ///
    /// A name–value pair (`{"name": "ApiToken", "value": …}`, as SageMaker writes pipeline
    /// parameters; `{"key": …, "value": …}`, as it writes tags) is a key and its value too.
    public static func redact(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, v) in object { out[k] = isSecret(key: k) ? "***" : redact(v) }
            for (nameKey, valueKey) in [("name", "value"), ("Name", "Value"), ("key", "value"), ("Key", "Value")] {
                if let name = object[nameKey] as? String, object[valueKey] != nil, isSecret(key: name) {
                    out[valueKey] = "***"
                }
            }
            return out
        }
        if let array = value as? [Any] { return array.map(redact) }
        return value
    }

    /// A create message with the values of secret-looking conf keys replaced (for excerpts).
    public static func redactConf(in message: String) -> String {
        guard let start = message.byteRange(of: "conf: ") else { return message }
        let tail = message[start.upperBound...]
        let end = tail.byteRange(of: ", heartbeatTimeoutInSecond: ")?.lowerBound ?? tail.endIndex
        var conf = String(tail[..<end])
        let pairs = conf.withUTF8 { confPairs(UnsafeRawBufferPointer($0), 0..<$0.count) }
        let redacted = pairs.map { "\($0.0) -> \($0.1)" }.joined(separator: ",")
        return String(message[..<start.upperBound]) + redacted + String(tail[end...])
    }
}
