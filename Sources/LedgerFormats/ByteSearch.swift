import Foundation

// Substring search on UTF-8 bytes, written by hand: Foundation's `String.range(of:)` bridges
// through CFString and compares UTF-16 code units, and it was a fifth of a Livy-log ingest
// in `perf` (the standard library has no fast byte-level search of its own). Every needle the
// formats look for is ASCII, so a byte match is a match of characters.

extension UnsafeRawBufferPointer {
    /// The offset of the first occurrence of `needle` inside `range`, or nil.
    func firstOffset(of needle: UnsafeRawBufferPointer, in range: Range<Int>) -> Int? {
        let count = needle.count
        guard count > 0 else { return range.lowerBound }
        guard range.count >= count, let base = baseAddress, let n = needle.baseAddress else { return nil }
        // memchr finds candidates at memory speed, by one byte of the needle: its first capital
        // letter if it has one (rare in text, unlike the `"` that opens every JSON key, which
        // made a memcmp at every string of a CloudTrail record), else its first byte.
        let anchor = needle.firstIndex { $0 >= 0x41 && $0 <= 0x5A } ?? 0
        let byte = Int32(needle[anchor])
        var i = range.lowerBound
        let last = range.upperBound - count  // the last offset a match can start at
        while i <= last {
            guard let hit = memchr(base + i + anchor, byte, last - i + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit)) - anchor
            if memcmp(base + at, n, count) == 0 { return at }
            i = at + 1
        }
        return nil
    }

    /// The offset of the first occurrence of `needle` inside `range`, or nil.
    func firstOffset(of needle: StaticString, in range: Range<Int>) -> Int? {
        firstOffset(of: UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount), in: range)
    }

    /// Whether the bytes in `range` contain `needle`.
    func contains(_ needle: StaticString, in range: Range<Int>) -> Bool {
        firstOffset(of: needle, in: range) != nil
    }

    /// Whether the bytes in `range` are exactly `bytes`.
    func equals(_ bytes: [UInt8], in range: Range<Int>) -> Bool {
        guard range.count == bytes.count, let base = baseAddress else { return bytes.isEmpty && range.isEmpty }
        return bytes.withUnsafeBytes { memcmp(base + range.lowerBound, $0.baseAddress!, bytes.count) == 0 }
    }
}

extension StringProtocol {
    /// The first occurrence of `needle` at or after `start`, compared as UTF-8 bytes (see above).
    func byteRange(of needle: String, from start: Index? = nil) -> Range<Index>? {
        let startOffset = utf8.distance(from: utf8.startIndex, to: start ?? startIndex)
        var needle = needle
        let found: Int? = needle.withUTF8 { n in
            let needleBytes = UnsafeRawBufferPointer(n)
            if let offset = utf8.withContiguousStorageIfAvailable({ hay in
                UnsafeRawBufferPointer(hay).firstOffset(of: needleBytes, in: startOffset..<hay.count)
            }) {
                return offset
            }
            // A bridged (non-native) string: search a copy.
            let copy = Array(utf8)
            return copy.withUnsafeBytes { $0.firstOffset(of: needleBytes, in: startOffset..<copy.count) }
        }
        guard let found else { return nil }
        let lower = utf8.index(utf8.startIndex, offsetBy: found)
        return lower..<utf8.index(lower, offsetBy: needle.utf8.count)
    }
}
