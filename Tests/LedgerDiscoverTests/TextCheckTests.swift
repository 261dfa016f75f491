import LedgerDiscover
import Testing

@Suite("TextCheck: is a log line text?")
struct TextCheckTests {
    func problem(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { TextCheck.problem(in: $0) }
    }

    @Test("ASCII, tab, CR, escape and well-formed UTF-8 of every width are text", arguments: [
        "25/03/05 09:00:00 INFO Foo: bar",
        "\tat org.apache.livy.Foo(Foo.scala:12)\r",
        "\u{1B}[32mINFO\u{1B}[0m colours",
        "name=Résumé 数据 😀 ok",
        "",
    ])
    func acceptsText(line: String) {
        #expect(problem(Array(line.utf8)) == nil)
    }

    // Each expectation follows from the bytes by hand: columns are 1-based byte positions.
    @Test("control bytes and malformed UTF-8 are named with their column", arguments: [
        ([0x61, 0x00, 0x62], "control byte 0x00 at column 2, not a line of text"),
        ([0x61, 0x62, 0x7F], "control byte 0x7F at column 3, not a line of text"),
        ([0x07], "control byte 0x07 at column 1, not a line of text"),
        ([0x61, 0xFF], "invalid UTF-8 at column 2, not a line of text"),          // never valid
        ([0xC3], "invalid UTF-8 at column 1, not a line of text"),                // cut 2-byte sequence
        ([0xC0, 0xAF], "invalid UTF-8 at column 1, not a line of text"),          // overlong '/'
        ([0xED, 0xA0, 0x80], "invalid UTF-8 at column 1, not a line of text"),    // UTF-16 surrogate
        ([0xF4, 0x90, 0x80, 0x80], "invalid UTF-8 at column 1, not a line of text"), // > U+10FFFF
        ([0x41, 0xE2, 0x82, 0x41], "invalid UTF-8 at column 2, not a line of text"), // cut 3-byte
        ([0x80], "invalid UTF-8 at column 1, not a line of text"),                // lone continuation
    ] as [([UInt8], String)])
    func rejectsJunk(bytes: [UInt8], expected: String) {
        #expect(problem(bytes) == expected)
    }

    @Test("agrees with Swift's own UTF-8 validation on every 1- and 2-byte sequence")
    func agreesWithStandardLibrary() {
        for a in 0x20...0xFF where a != 0x7F {
            #expect((problem([UInt8(a)]) == nil) == (String(validating: [UInt8(a)], as: UTF8.self) != nil), "\(a)")
            for b in 0x20...0xFF where b != 0x7F {
                let bytes = [UInt8(a), UInt8(b)]
                if (problem(bytes) == nil) != (String(validating: bytes, as: UTF8.self) != nil) {
                    Issue.record("disagree on \(bytes)")
                }
            }
        }
    }
}
