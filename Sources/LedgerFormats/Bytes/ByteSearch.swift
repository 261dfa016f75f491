import Foundation

// Substring search on UTF-8 bytes, written by hand: Foundation's `String.range(of:)` bridges
// through CFString and compares UTF-16 code units, on every line (benchmarks/NOTES.md,
// `ByteSearch`), and the standard library has no fast byte-level search of its own. Every needle the
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

    /// Whether the bytes in `range` begin with `prefix`.
    func hasPrefix(_ prefix: StaticString, in range: Range<Int>) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard range.count >= count, let base = baseAddress else { return count == 0 }
        return memcmp(base + range.lowerBound, prefix.utf8Start, count) == 0
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

/// A range of bytes with whitespace trimmed: still a range, or, when an end was not ASCII, the
/// String that Foundation trimmed.
enum Trimmed {
    case bytes(Range<Int>)
    case string(String)
}

extension UnsafeRawBufferPointer {
    /// The bytes of `range` without the whitespace `trimmingCharacters(in: .whitespaces)` removes:
    /// ASCII spaces and tabs are trimmed here; when an end is a non-ASCII byte (which may be part
    /// of a Unicode space such as U+00A0), the String is trimmed by Foundation instead.
    func trimmedWhitespace(_ range: Range<Int>) -> Trimmed {
        var lo = range.lowerBound
        var hi = range.upperBound
        while lo < hi, self[lo] == 0x20 || self[lo] == 0x09 { lo += 1 }
        while hi > lo, self[hi - 1] == 0x20 || self[hi - 1] == 0x09 { hi -= 1 }
        if lo < hi, self[lo] >= 0x80 || self[hi - 1] >= 0x80 {
            return .string(string(lo..<hi).trimmingCharacters(in: .whitespaces))
        }
        return .bytes(lo..<hi)
    }
}

// Character-exact matching of ASCII tokens in the UTF-8 of a String. `hasPrefix`, `hasSuffix`
// and `split` on a String compare Characters, not bytes: a `]` followed by a combining accent,
// or a `,` after a prepended mark such as U+0600, is part of a larger Character and does not
// match. Byte readers that replace such String code ask the questions below, so that they
// answer as it did. (No non-ASCII character is canonically equivalent to the tokens used,
// which have no `K`, `;` or backquote.)

extension UnsafeRawBufferPointer {
    /// Whether a Character of the String whose UTF-8 is `text` starts at `i` (`text` is valid
    /// UTF-8, or a part of it cut between scalars, read as a String of its own, as the String code
    /// read its substrings once copied).
    ///
    /// The byte before `i` or the one at `i` must be ASCII: then only the two scalars around `i`
    /// decide (the rules of UAX #29 that look further need an emoji, a regional indicator or an
    /// Indic consonant on both sides), so a two-scalar String asks the standard library's own
    /// grapheme breaking, and only when one is non-ASCII.
    func isCharacterBoundary(_ i: Int, in text: Range<Int>) -> Bool {
        guard i > text.lowerBound, i < text.upperBound else { return true }
        let before = self[i - 1]
        let after = self[i]
        if before < 0x80, after < 0x80 { return before != 0x0D || after != 0x0A }
        var start = i - 1
        while self[start] & 0xC0 == 0x80 { start -= 1 }
        var end = i + 1
        while end < text.upperBound, self[end] & 0xC0 == 0x80 { end += 1 }
        return string(start..<end).count == 2
    }

    /// `String.hasPrefix(token)` for the String in `text`, `token` being ASCII.
    func hasCharacterPrefix(_ token: StaticString, in text: Range<Int>) -> Bool {
        let count = token.utf8CodeUnitCount
        guard text.count >= count else { return false }
        let p = token.utf8Start
        for k in 0..<count where self[text.lowerBound + k] != p[k] { return false }
        return isCharacterBoundary(text.lowerBound + count, in: text)
    }

    /// `String.hasSuffix(token)` for the String in `text`, `token` being ASCII.
    func hasCharacterSuffix(_ token: StaticString, in text: Range<Int>) -> Bool {
        hasSuffix(token, in: text) && isCharacterBoundary(text.upperBound - token.utf8CodeUnitCount, in: text)
    }
}
