import LedgerDiscover
import Testing

@Suite("Splitting decoded bytes into lines")
struct LineSplitterTests {
    struct Seen: Equatable {
        let number: Int
        let text: String
        let overlong: Bool
    }

    func split(_ text: String, chunk: Int, maxLineLength: Int = LineSplitter.defaultMaxLineLength, finish: Bool = true)
        -> [Seen]
    {
        var splitter = LineSplitter(maxLineLength: maxLineLength)
        var seen: [Seen] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let piece = Array(bytes[i..<min(i + chunk, bytes.count)])
            piece.withUnsafeBytes { buf in
                splitter.feed(buf) {
                    seen.append(
                        Seen(
                            number: $0.number, text: String(decoding: $0.bytes, as: UTF8.self), overlong: $0.isOverlong)
                    )
                }
            }
            i += chunk
        }
        if finish {
            splitter.finish {
                seen.append(
                    Seen(number: $0.number, text: String(decoding: $0.bytes, as: UTF8.self), overlong: $0.isOverlong))
            }
        }
        return seen
    }

    @Test("lines and their numbers do not depend on where chunks end", arguments: [1, 2, 3, 5, 64])
    func numbersLines(chunk: Int) {
        let seen = split("alpha\nbeta\r\n\ngamma", chunk: chunk)
        #expect(
            seen == [
                Seen(number: 1, text: "alpha", overlong: false),
                Seen(number: 2, text: "beta", overlong: false),  // CR of CRLF dropped
                Seen(number: 3, text: "", overlong: false),
                Seen(number: 4, text: "gamma", overlong: false),  // no final line break
            ])
    }

    @Test("a line longer than the limit is cut, flagged, and the next line is intact", arguments: [1, 4, 100])
    func cutsOverlongLines(chunk: Int) {
        let seen = split("short\n" + String(repeating: "x", count: 50) + "\nnext\n", chunk: chunk, maxLineLength: 10)
        #expect(
            seen == [
                Seen(number: 1, text: "short", overlong: false),
                Seen(number: 2, text: String(repeating: "x", count: 10), overlong: true),
                Seen(number: 3, text: "next", overlong: false),
            ])
    }

    @Test("the piece after the last break can be dropped (a cut stream)")
    func dropsPartialLine() {
        var splitter = LineSplitter()
        var seen: [String] = []
        Array("one\ntw".utf8).withUnsafeBytes { buf in
            splitter.feed(buf) { seen.append(String(decoding: $0.bytes, as: UTF8.self)) }
        }
        #expect(splitter.hasPartialLine)
        splitter.discardPartialLine()
        splitter.finish { seen.append(String(decoding: $0.bytes, as: UTF8.self)) }
        #expect(seen == ["one"])
    }
    // How this was seen to fail: with every line that is not cut across chunks flagged
    // printable (the tab, CR, UTF-8, BEL and DEL lines were).
    @Test(
        "a line is flagged printable ASCII only when every byte is, and never when cut across chunks",
        arguments: [1, 3, 16, 17, 4096])
    func flagsPrintableLines(chunk: Int) {
        let lines = [
            "2025-11-24 08:00:00,000 INFO org.apache.livy.server.LivyServer: Starting server on http://ip:8998",
            "USER=u\tIP=10.0.0.5\tOPERATION=Submit Application Request",  // tabs: text, not plain
            "crlf line\r", "name=Résumé", "bell \u{07} here", "", "~ ! the edges of printable ASCII: space and tilde ~",
            String(repeating: "x", count: 40) + "\u{7F}",
        ]
        let text = lines.joined(separator: "\n") + "\n"
        var splitter = LineSplitter()
        var flags: [Int: Bool] = [:]
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            Array(bytes[i..<min(i + chunk, bytes.count)]).withUnsafeBytes { buf in
                splitter.feed(buf) { flags[$0.number] = $0.isPrintableASCII }
            }
            i += chunk
        }
        // A line is cut when a chunk ends before its line break.
        var start = 0
        for (n, line) in lines.enumerated() {
            let end = start + line.utf8.count  // the line break's offset
            let cut = start / chunk != end / chunk
            let printable = line.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
            #expect(flags[n + 1] == (printable && !cut), "line \(n + 1), chunk \(chunk)")
            start = end + 1
        }
        #expect(flags.count == lines.count)
    }
}
