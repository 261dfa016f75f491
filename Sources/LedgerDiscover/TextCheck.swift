import CTextScan

/// Is a log line text? A line-oriented log (Livy, YARN) is UTF-8 text; a line holding NUL or
/// other control bytes (a crash's zero-filled block, binary junk written into the log) or bytes
/// that are not UTF-8 is not a log line, and the pipeline quarantines it by file and line.
///
/// Written by hand because it runs on every line: an ASCII fast path that looks at each byte
/// once, and full UTF-8 validation (Unicode Table 3-7) only from the first byte ≥ 0x80. Most
/// lines never get here: ``LineSplitter`` sees they are printable ASCII while finding their end
/// (``Line/isPrintableASCII``).
public enum TextCheck {
    /// Why `bytes` is not a line of text, or nil when it is.
    ///
    /// Tab, carriage return and escape (terminal colours) are allowed; other C0 controls and DEL
    /// are not.
    public static func problem(in bytes: UnsafeRawBufferPointer) -> String? {
        var i = 0
        let n = bytes.count
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        while i < n {
            // Printable ASCII (0x20...0x7E), the bulk of any log, 16 bytes a step (CTextScan).
            i += sl_first_non_printable(base + i, n - i)
            guard i < n else { break }
            let b = bytes[i]
            if b >= 0x20 && b < 0x7F {
                i += 1
                continue
            }
            if b < 0x80 {
                if b == 0x09 || b == 0x0D || b == 0x1B {
                    i += 1
                    continue
                }
                return "control byte 0x\(hex(b)) at column \(i + 1), not a line of text"
            }
            guard let width = sequenceWidth(bytes, at: i) else {
                return "invalid UTF-8 at column \(i + 1), not a line of text"
            }
            i += width
        }
        return nil
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }

    /// The length of the well-formed UTF-8 sequence starting at `i`, or nil.
    private static func sequenceWidth(_ s: UnsafeRawBufferPointer, at i: Int) -> Int? {
        let b0 = s[i]
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < s.count && s[i + k] >= lo && s[i + k] <= hi
        }
        switch b0 {
        case 0xC2...0xDF: return cont(1) ? 2 : nil
        case 0xE0: return cont(1, 0xA0) && cont(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : nil
        case 0xED: return cont(1, 0x80, 0x9F) && cont(2) ? 3 : nil
        case 0xF0: return cont(1, 0x90) && cont(2) && cont(3) ? 4 : nil
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : nil
        case 0xF4: return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : nil
        default: return nil
        }
    }
}
