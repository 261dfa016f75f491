import LedgerDiscover
import Testing

@Suite("Splitting decoded bytes into lines")
struct LineSplitterTests {
    struct Seen: Equatable {
        let number: Int
        let text: String
        let overlong: Bool
    }

    func split(_ text: String, chunk: Int, maxLineLength: Int = LineSplitter.defaultMaxLineLength, finish: Bool = true) -> [Seen] {
        var splitter = LineSplitter(maxLineLength: maxLineLength)
        var seen: [Seen] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let piece = Array(bytes[i..<min(i + chunk, bytes.count)])
            piece.withUnsafeBytes { buf in
                splitter.feed(buf) { seen.append(Seen(number: $0.number, text: String(decoding: $0.bytes, as: UTF8.self), overlong: $0.isOverlong)) }
            }
            i += chunk
        }
        if finish {
            splitter.finish { seen.append(Seen(number: $0.number, text: String(decoding: $0.bytes, as: UTF8.self), overlong: $0.isOverlong)) }
        }
        return seen
    }

    @Test("lines and their numbers do not depend on where chunks end", arguments: [1, 2, 3, 5, 64])
    func numbersLines(chunk: Int) {
        let seen = split("alpha\nbeta\r\n\ngamma", chunk: chunk)
        #expect(seen == [
            Seen(number: 1, text: "alpha", overlong: false),
            Seen(number: 2, text: "beta", overlong: false),  // CR of CRLF dropped
            Seen(number: 3, text: "", overlong: false),
            Seen(number: 4, text: "gamma", overlong: false),  // no final line break
        ])
    }

    @Test("a line longer than the limit is cut, flagged, and the next line is intact", arguments: [1, 4, 100])
    func cutsOverlongLines(chunk: Int) {
        let seen = split("short\n" + String(repeating: "x", count: 50) + "\nnext\n", chunk: chunk, maxLineLength: 10)
        #expect(seen == [
            Seen(number: 1, text: "short", overlong: false),
            Seen(number: 2, text: String(repeating: "x", count: 10), overlong: true),
            Seen(number: 3, text: "next", overlong: false),
        ])
    }

    @Test("the piece after the last break can be dropped (a cut stream)")
    func dropsPartialLine() {
        var splitter = LineSplitter()
        var seen: [String] = []
        Array("one\ntw".utf8).withUnsafeBytes { buf in splitter.feed(buf) { seen.append(String(decoding: $0.bytes, as: UTF8.self)) } }
        #expect(splitter.hasPartialLine)
        splitter.discardPartialLine()
        splitter.finish { seen.append(String(decoding: $0.bytes, as: UTF8.self)) }
        #expect(seen == ["one"])
    }
}
