/// Checks that bytes are one JSON object (RFC 8259 grammar) without building it.
///
/// Every CloudTrail record is checked, so that a broken one (a missing brace that swallowed the
/// records after it) is caught and the records after it are given back; but most records of an
/// organisation trail are then skipped as irrelevant, and building each one with
/// `JSONSerialization` only to throw it away was a large part of a CloudTrail ingest
/// (benchmarks/NOTES.md, `JSONSyntax`). No JSON library here validates without building, so this
/// is written by hand: a recursive descent over the bytes that allocates nothing. String contents are not checked for valid UTF-8
/// (every string kept is decoded with repair later).
public enum JSONSyntax {
    /// Nesting deeper than this is refused (a document built to exhaust the stack).
    static let maxDepth = 512

    /// Whether `bytes` are one JSON object, with nothing but whitespace around it.
    public static func isObject(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var reader = Reader(b: bytes)
        reader.skipSpace()
        guard reader.peek == 0x7B, reader.value(depth: 0) else { return false }
        reader.skipSpace()
        return reader.i == bytes.count
    }

    /// Where the JSON object at the start of `bytes` ends (the offset after its `}`), when it is
    /// well-formed and whole in `bytes`; nil otherwise (what follows it is not looked at).
    static func objectEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var reader = Reader(b: bytes)
        guard reader.peek == 0x7B, reader.value(depth: 0) else { return nil }
        return reader.i
    }

    /// Whether `bytes` are one JSON object (see above).
    public static func isObject(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isObject($0) }
    }

    private struct Reader {
        let b: UnsafeRawBufferPointer
        var i = 0

        var peek: UInt8? { i < b.count ? b[i] : nil }

        mutating func skipSpace() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }

        mutating func value(depth: Int) -> Bool {
            guard let c = peek else { return false }
            switch c {
            case 0x7B: return object(depth: depth + 1)
            case 0x5B: return array(depth: depth + 1)
            case 0x22: return string()
            case 0x74: return literal("true")
            case 0x66: return literal("false")
            case 0x6E: return literal("null")
            default: return number()
            }
        }

        mutating func object(depth: Int) -> Bool {
            guard depth <= JSONSyntax.maxDepth else { return false }
            i += 1  // {
            skipSpace()
            if peek == 0x7D {
                i += 1
                return true
            }
            while true {
                skipSpace()
                guard peek == 0x22, string() else { return false }
                skipSpace()
                guard peek == 0x3A else { return false }
                i += 1
                skipSpace()
                guard value(depth: depth) else { return false }
                skipSpace()
                switch peek {
                case 0x2C: i += 1
                case 0x7D:
                    i += 1
                    return true
                default: return false
                }
            }
        }

        mutating func array(depth: Int) -> Bool {
            guard depth <= JSONSyntax.maxDepth else { return false }
            i += 1  // [
            skipSpace()
            if peek == 0x5D {
                i += 1
                return true
            }
            while true {
                skipSpace()
                guard value(depth: depth) else { return false }
                skipSpace()
                switch peek {
                case 0x2C: i += 1
                case 0x5D:
                    i += 1
                    return true
                default: return false
                }
            }
        }

        mutating func string() -> Bool {
            i += 1  // "
            while i < b.count {
                // Eight bytes at a time while none is a quote, a backslash or a control byte
                // (word tests as in TextCheck: a byte equal to q makes `(x - 0x01…) & ~x & 0x80…`
                // nonzero for x = w ^ q…, a byte below 0x20 makes `(w - 0x20…) & ~w & 0x80…`
                // nonzero); most of a trail's bytes are inside strings. A flagged word is looked
                // at byte by byte below.
                while i &+ 8 <= b.count {
                    let w = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let ones: UInt64 = 0x0101_0101_0101_0101
                    let quote = w ^ (ones &* 0x22)
                    let backslash = w ^ (ones &* 0x5C)
                    let flagged =
                        ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((w &- ones &* 0x20) & ~w)
                    if flagged & 0x8080_8080_8080_8080 != 0 { break }
                    i &+= 8
                }
                guard i < b.count else { return false }
                let c = b[i]
                if c == 0x22 {
                    i += 1
                    return true
                }
                if c < 0x20 { return false }  // control characters must be escaped
                if c == 0x5C {
                    i += 1
                    guard i < b.count else { return false }
                    switch b[i] {
                    case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 1
                    case 0x75:
                        guard i + 4 < b.count else { return false }
                        for k in 1...4 where !isHex(b[i + k]) { return false }
                        i += 5
                    default: return false
                    }
                } else {
                    i += 1
                }
            }
            return false
        }

        mutating func number() -> Bool {
            let start = i
            if peek == 0x2D { i += 1 }
            guard let first = peek, isDigit(first) else { return false }
            i += 1
            if first != 0x30 { while let c = peek, isDigit(c) { i += 1 } }
            if peek == 0x2E {
                i += 1
                guard let c = peek, isDigit(c) else { return false }
                while let c = peek, isDigit(c) { i += 1 }
            }
            if peek == 0x65 || peek == 0x45 {
                i += 1
                if peek == 0x2B || peek == 0x2D { i += 1 }
                guard let c = peek, isDigit(c) else { return false }
                while let c = peek, isDigit(c) { i += 1 }
            }
            return i > start
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard b.count - i >= n else { return false }
            for k in 0..<n where b[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) }
    }
}
