import LedgerTestSupport
import Testing

@testable import LedgerFormats

/// Delete and stop lines name their session as `session N`, `InteractiveSession N` or
/// `BatchSession N`; the reading on bytes must say what the reading by Characters said.
@Suite("Livy: the session a delete or stop line names")
struct SessionReferenceTests {
    /// `sessionReference` as it was, Character by Character (the reference).
    static func reference(_ s: Substring) -> (String?, Int64, Substring)? {
        var rest = s
        for (prefix, t) in [("session ", nil), ("InteractiveSession ", "interactive"), ("BatchSession ", "batch")]
            as [(String, String?)]
        {
            if rest.hasPrefix(prefix) {
                rest = rest.dropFirst(prefix.count)
                let digits = rest.prefix { $0.isASCII && $0.isNumber }
                guard let id = Int64(digits) else { break }
                return (t, id, rest.dropFirst(digits.count))
            }
        }
        return nil
    }

    static func reading(_ s: Substring) -> (String?, Int64, Substring)? {
        try? LivyServerFormat.sessionReference(s)
    }

    // How this was seen to fail: with the byte after the digits not checked, "session 5\u{301}"
    // read as session 5 (its first Character is "5́", no digit: no session at all); with the
    // overflow not checked, a 20-digit id wrapped round instead of being no id.
    @Test("the same type, id and rest as reading Characters, on lines as Livy writes them, mangled and random")
    func sameAsCharacters() {
        var cases = [
            "session 12", "session 0 because it was inactive for more than 3600000 ms.", "InteractiveSession 7",
            "BatchSession 3 because it finished before 2025", "session ", "session x", "session -1", "session +1",
            "Session 1", "session  1", "session 5\u{301} more", "session 5\u{301}", "session \u{301}5", "session 12é",
            "session 9223372036854775807 ok", "session 9223372036854775808", "session 99999999999999999999",
            "InteractiveSession", "BatchSession 0", "BatchSession 0\r\n", "session 3\n", "session ٣", "session 1٣",
            "sessions 1", "session 1,2", "",
        ]
        var generator = SeededGenerator(seed: 0x5e55108)
        let pieces = [
            "session ", "InteractiveSession ", "BatchSession ", "1", "42", "0", " ", "x", "\u{301}", "é", "٣", "-",
            "\r", "\n",
        ]
        for _ in 0..<3000 {
            let count = Int.random(in: 1...5, using: &generator)
            cases.append((0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for line in cases {
            // As a Substring of a longer message, the way the parser passes it.
            let message = "Deleting " + line
            let s = message.dropFirst(9)
            let got = Self.reading(s)
            let want = Self.reference(s)
            #expect(
                got?.0 == want?.0 && got?.1 == want?.1 && got.map { String($0.2) } == want.map { String($0.2) },
                "\(Array(line.utf8))")
        }
    }
}
