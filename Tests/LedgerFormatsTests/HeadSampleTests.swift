import LedgerFormats
import Testing

@Suite("HeadSample: the first lines of a file, as recognisers see them")
struct HeadSampleTests {
    func lines(_ text: String, max: Int = 2000) -> [String] {
        HeadSample(bytes: Array(text.utf8), maxLines: max).lines
    }

    // Lines end at LF, with a CR before it (or at the very end) dropped; a last line without LF
    // counts; an empty
    // file has none; empty lines inside are kept; at most `maxLines`. How this was seen to fail:
    // keeping the CR (the first case), and stopping at the first empty line (the third).
    @Test("LF and CRLF ends, empty lines, no final newline, the line limit")
    func splitsLikeTheFile() {
        #expect(lines("a\r\nb\n") == ["a", "b"])
        #expect(lines("a\nb") == ["a", "b"])
        #expect(lines("a\n\n\nb\n") == ["a", "", "", "b"])
        #expect(lines("") == [])
        #expect(lines("\n") == [""])
        #expect(lines("a\r") == ["a"])
        #expect(lines("1\n2\n3\n4\n", max: 2) == ["1", "2"])
        #expect(lines("é\u{0}x\ny") == ["é\u{0}x", "y"])
    }
}
