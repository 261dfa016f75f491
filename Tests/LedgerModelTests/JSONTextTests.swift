import Foundation
import LedgerModel
import LedgerTestSupport
import Testing

@Suite("JSONText.canonical: JSON stored as the same bytes for the same value")
struct JSONTextCanonicalTests {
    // Every CloudTrail JSON column is stored through `canonical`: keys sorted, no spaces,
    // booleans as booleans, whole numbers without a point, null kept, strings escaped. The
    // containers are tested before NSNumber (a cast to a class bridges a Swift dictionary first,
    // which cost a twentieth of a trail's ingest); this pins that the order changes no output.
    // How this was seen to fail: without the boolean check, `true` came out as `1`.
    @Test("canonical text of a parsed document: sorted keys, true/false, whole numbers, null, escapes")
    func canonicalText() throws {
        let text = #"{"b":[true,false,null,1,2.5,-3,"x\"y\\z\n"],"a":{"z":{},"y":[],"x":1e2},"c":"é"}"#
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(
            JSONText.canonical(value)
                == #"{"a":{"x":100,"y":[],"z":{}},"b":[true,false,null,1,2.5,-3,"x\"y\\z\n"],"c":"é"}"#)
    }
}

@Suite("JSONText.quote: strings as JSON literals")
struct JSONTextQuoteTests {
    /// `quote` as it was before strings without anything to escape were copied whole: scalar by
    /// scalar (the reference).
    static func referenceQuote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // How this was seen to fail: with the plain test missing the control characters (only `"`
    // and `\` looked for), "a\u{1}b" and "tab\there" came back unescaped.
    @Test("the same bytes as quoting scalar by scalar, for plain, escaped, control, non-ASCII and random strings")
    func sameAsScalarByScalar() {
        var cases = [
            "", "plain", "spark.executor.instances", "a\"b", "back\\slash", "line\nbreak", "cr\rlf", "tab\there",
            "a\u{1}b", "\u{0}", "\u{1F}", "\u{7F}del", "é", "e\u{301}", "東京", "🚀", "\"", "\\", "x\u{2028}y",
            String(repeating: "long value ", count: 500),
        ]
        var generator = SeededGenerator(seed: 0x5e55103)
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\u{1}", "é", "\u{301}", "東", "🚀", "\u{7F}"]
        for _ in 0..<2000 {
            let count = Int.random(in: 0...12, using: &generator)
            cases.append(String((0..<count).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for s in cases {
            #expect(Array(JSONText.quote(s).utf8) == Array(Self.referenceQuote(s).utf8), "\(Array(s.utf8))")
        }
    }
}
