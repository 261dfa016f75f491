import LedgerModel

/// The owner and request of a Livy create line (`CreateInteractiveRequest.toString`, §1.3):
/// `[owner: X, request: [kind: pyspark, proxyUser: Some(bob), driverMemory: 2g, …, conf: k -> v,k2 -> v2, heartbeatTimeoutInSecond: 0]]`.
///
/// Read on the message's UTF-8 bytes, not with Strings (Foundation trimming, a byte search per
/// known key, a dictionary: benchmarks/NOTES.md, `CreateRequest`). The bytes are
/// those of the message String, so they are valid UTF-8; where the String reading compared
/// Characters (brackets, separators, `Some(`), the byte reading asks whether the token is a
/// Character of its own (``UnsafeRawBufferPointer/isCharacterBoundary(_:in:)``), and it trims
/// through Foundation when an end is not ASCII, so that it answers exactly as before.
struct CreateRequest {
    var owner: String?
    var proxyUser: String?
    var kind: String?
    var driverMemory: String?
    var driverCores: Int64?
    var executorMemory: String?
    var executorCores: Int64?
    var numExecutors: Int64?
    var queue: String?
    var name: String?
    /// The session's own idle timeout as Livy wrote it (0.9 `idleTimeout`, else 0.8 `ttl`, for
    /// example `2h`).
    var ownTimeout: String?
    /// Conf as a JSON object, secret-looking values replaced by `***`.
    var confJSON: String?

    /// Keys of `CreateInteractiveRequest.toString` and `CreateBatchRequest.toString`; their
    /// values are found at these places in ``fields(_:_:keys:)``'s answer.
    enum RequestKey: Int, CaseIterable {
        case kind, proxyUser, file, className, args, jars, pyFiles, files, archives, driverMemory, driverCores,
            executorMemory, executorCores, numExecutors, queue, name, conf, heartbeatTimeoutInSecond, ttl, idleTimeout
    }

    /// Keys of the `Interactive session N created [appid: …, …]` message.
    enum ReadyKey: Int, CaseIterable {
        case appid, owner, proxyUser, state, kind, info
    }

    /// `key: ` for every case of `Key`, in order.
    static func needles<Key: CaseIterable>(_: Key.Type) -> [[UInt8]] { Key.allCases.map { Array("\($0): ".utf8) } }

    static let requestKeys = needles(RequestKey.self)
    static let readyKeys = needles(ReadyKey.self)
    private static let null = Array("null".utf8)

    init() {}

    /// The request in `m` after `start` (the text after `Creating … session N:`).
    init(_ m: String, from start: String.Index) {
        var m = m
        let offset = m.utf8.distance(from: m.utf8.startIndex, to: start)
        self = m.withUTF8 { CreateRequest(UnsafeRawBufferPointer($0), offset..<$0.count) }
    }

    /// The request in `text` of `b` (` [owner: X, request: [ … ]]`).
    init(_ b: UnsafeRawBufferPointer, _ text: Range<Int>) {
        switch b.trimmedWhitespace(text) {
        case .bytes(let body):
            self.init(trimmed: b, body)
        case .string(var body):
            self = body.withUTF8 { CreateRequest(trimmed: UnsafeRawBufferPointer($0), 0..<$0.count) }
        }
    }

    private init(trimmed b: UnsafeRawBufferPointer, _ text: Range<Int>) {
        var body = text
        if b.hasCharacterPrefix("[", in: body) { body = (body.lowerBound + 1)..<body.upperBound }
        if b.hasCharacterSuffix("]]", in: body) {
            body = body.lowerBound..<(body.upperBound - 2)
        } else if b.hasCharacterSuffix("]", in: body) {
            body = body.lowerBound..<(body.upperBound - 1)
        }
        if b.hasCharacterPrefix("owner: ", in: body), let r = b.firstOffset(of: ", request: [", in: body) {
            owner = Self.nullable(b, (body.lowerBound + 7)..<r)
            body = (r + 12)..<body.upperBound
        }
        let f = Self.fields(b, body, keys: Self.requestKeys)
        func value(_ key: RequestKey) -> String? { f[key.rawValue].map(b.string) }
        func integer(_ key: RequestKey) -> Int64? { f[key.rawValue].flatMap { Int64(b.string($0)) } }
        kind = value(.kind)
        proxyUser = Self.option(b, f[RequestKey.proxyUser.rawValue])
        driverMemory = value(.driverMemory)
        driverCores = integer(.driverCores)
        executorMemory = value(.executorMemory)
        executorCores = integer(.executorCores)
        numExecutors = integer(.numExecutors)
        queue = value(.queue)
        name = value(.name)
        ownTimeout = value(.idleTimeout) ?? value(.ttl)
        if let conf = f[RequestKey.conf.rawValue] { confJSON = JSONText.object(Redaction.confPairs(b, conf)) }
    }

    /// Owner, proxy user and kind, the application id and the state of a ready message in `m`
    /// after `start` (after `Interactive session N created [`).
    static func ready(_ m: String, from start: String.Index) -> (request: CreateRequest, appID: String?, state: String?)
    {
        var m = m
        let offset = m.utf8.distance(from: m.utf8.startIndex, to: start)
        return m.withUTF8 { u in
            let b = UnsafeRawBufferPointer(u)
            var text = offset..<b.count
            if b.hasCharacterSuffix("]", in: text) { text = text.lowerBound..<(text.upperBound - 1) }
            let f = fields(b, text, keys: readyKeys)
            var request = CreateRequest()
            request.owner = nullable(b, f[ReadyKey.owner.rawValue])
            request.proxyUser = option(b, f[ReadyKey.proxyUser.rawValue])
            request.kind = f[ReadyKey.kind.rawValue].map(b.string)
            return (request, nullable(b, f[ReadyKey.appid.rawValue]), f[ReadyKey.state.rawValue].map(b.string))
        }
    }

    /// Splits `k1: v1, k2: v2, …` in `text` on the known keys only, so values may hold `, `
    /// themselves: a key counts at the start or after `, ` (its first such place), and its value
    /// runs to the next counted key's `, `, less a trailing `, ` or `,`.
    ///
    /// The answer has a value range, or nil, for each of `keys` (`key: ` bytes, none a prefix of
    /// another), in order.
    static func fields(_ b: UnsafeRawBufferPointer, _ text: Range<Int>, keys: [[UInt8]]) -> [Range<Int>?] {
        // One pass over the places a key may start, left to right, instead of a search per key:
        // the first place found for a key is its first occurrence that counts.
        var entries: [(start: Int, value: Int, key: Int)] = []  // entry start (its `, `), value start
        var taken = [Bool](repeating: false, count: keys.count)
        var entry = text.lowerBound
        var at = text.lowerBound
        while true {
            for (k, key) in keys.enumerated()
            where at + key.count <= text.upperBound && b.equals(key, in: at..<(at + key.count)) {
                if !taken[k] {
                    taken[k] = true
                    entries.append((entry, at + key.count, k))
                }
                break
            }
            // The next `, ` that is two Characters (a `,` after a prepended mark is not a comma).
            var search = at
            var next: Int?
            while let comma = b.firstOffset(of: ", ", in: search..<text.upperBound) {
                if b.isCharacterBoundary(comma, in: text) {
                    next = comma
                    break
                }
                search = comma + 2
            }
            guard let next else { break }
            entry = next
            at = next + 2
        }
        var values = [Range<Int>?](repeating: nil, count: keys.count)
        for (i, e) in entries.enumerated() {
            // The next entry's `, ` is after this key's `: ` (keys hold no comma).
            var value = e.value..<(i + 1 < entries.count ? entries[i + 1].start : text.upperBound)
            if b.hasCharacterSuffix(", ", in: value) {
                value = value.lowerBound..<(value.upperBound - 2)
            } else if b.hasCharacterSuffix(",", in: value) {
                value = value.lowerBound..<(value.upperBound - 1)
            }
            values[e.key] = value
        }
        return values
    }

    /// `Some(x)` → x; `None` (or no value) → nil.
    static func option(_ b: UnsafeRawBufferPointer, _ value: Range<Int>?) -> String? {
        guard let value, b.hasCharacterPrefix("Some(", in: value), b.hasCharacterSuffix(")", in: value) else {
            return nil
        }
        return b.string((value.lowerBound + 5)..<(value.upperBound - 1))
    }

    /// The literal `null`, an empty value or none → nil.
    static func nullable(_ b: UnsafeRawBufferPointer, _ value: Range<Int>?) -> String? {
        guard let value, !value.isEmpty, !b.equals(null, in: value) else { return nil }
        return b.string(value)
    }
}
