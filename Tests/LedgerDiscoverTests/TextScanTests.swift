import CTextScan
import Testing

/// The byte scan under every text line (C, SSE2): where the first byte that is not printable
/// ASCII is.
@Suite("CTextScan: the first byte that is not printable ASCII")
struct TextScanTests {
    func scan(_ bytes: [UInt8], from offset: Int = 0) -> Int {
        bytes.withUnsafeBufferPointer { sl_first_non_printable($0.baseAddress! + offset, $0.count - offset) }
    }

    // How this was seen to fail: with bytes ≥ 0x80 taken as printable in the 16-byte step (an
    // unsigned `v ≤ 0x1F` test in place of the signed `v < 0x20`), and with the tail loop's
    // `> 0x7E` written `> 0x7F` (DEL in the last bytes went unseen).
    @Test("every byte value at every position of 1–50 bytes, from four alignments in a block")
    func everyByteEverywhere() {
        for value in 0...255 {
            let printable = value >= 0x20 && value <= 0x7E
            for length in 1...50 {
                for position in 0..<length {
                    for offset in [0, 1, 7, 15] {
                        var bytes = [UInt8](repeating: 0x41, count: offset + length)
                        bytes[offset + position] = UInt8(value)
                        let found = scan(bytes, from: offset)
                        if found != (printable ? length : position) {
                            Issue.record(
                                "byte 0x\(String(value, radix: 16)) at \(position) of \(length) (offset \(offset)): \(found)"
                            )
                        }
                    }
                }
            }
        }
    }

    @Test("no bytes, and only printable bytes, give the length; the first of several odd bytes is the one found")
    func edges() {
        #expect([UInt8]().withUnsafeBufferPointer { sl_first_non_printable($0.baseAddress, 0) } == 0)
        #expect(scan(Array(0x20...0x7E)) == 95)
        #expect(scan(Array(repeating: 0x7E, count: 33) + [0x0A, 0x00, 0xFF]) == 33)
        #expect(scan([0x20, 0x20, 0x09] + Array(repeating: 0x20, count: 20) + [0x0A]) == 2)
    }
}
