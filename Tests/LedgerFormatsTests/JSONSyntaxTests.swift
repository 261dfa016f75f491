import Foundation
import LedgerFormats
import LedgerTestSupport
import Testing

@Suite("JSONSyntax: a JSON object checked without building it")
struct JSONSyntaxTests {
    @Test(
        "RFC 8259 objects are accepted",
        arguments: [
            #"{}"#, #" { } "#, #"{"a":1}"#,
            #"{"a":-0.5e+10,"b":[true,false,null,"x\"\\\/\b\f\n\r\t\u00e9"],"c":{"d":[]}}"#,
            "{\"a\":\n\t[ 1 , 2 ]\r\n}", #"{"a":0,"b":10,"c":1.25,"d":2E3,"e":"é"}"#,
        ])
    func accepts(text: String) {
        #expect(JSONSyntax.isObject(Array(text.utf8)))
    }

    @Test(
        "anything else is refused",
        arguments: [
            "", "[]", "1", #""s""#, "{", "}", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, #"{a:1}"#, #"{"a":1}}"#,
            #"{"a":1} {"b":2}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":1e}"#, #"{"a":tru}"#,
            #"{"a":"\x"}"#, #"{"a":"\u12G4"}"#, "{\"a\":\"line\nbreak\"}", #"{"a":[1,2}"#, #"{"a":"open}"#,
        ])
    func refuses(text: String) {
        #expect(!JSONSyntax.isObject(Array(text.utf8)))
    }

    @Test("nesting deeper than 512 is refused, not followed down the stack")
    func deepNesting() {
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(!JSONSyntax.isObject(Array(deep.utf8)))
        let fine = "{\"a\":" + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        #expect(JSONSyntax.isObject(Array(fine.utf8)))
    }

    // The oracle is Foundation: for thousands of ASCII mutations of a real CloudTrail record
    // (bytes dropped, changed, duplicated), JSONSyntax accepts exactly what JSONSerialization
    // parses into a dictionary. A broad net, not a sharp one: letting numbers start with 0
    // (tried on purpose) slipped through it, and the table above caught it.
    @Test("agrees with JSONSerialization on mutated real records")
    func agreesWithFoundation() throws {
        let record = Array(
            #"{"eventVersion":"1.05","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:bob","arn":"arn:aws:sts::123456789012:assumed-role/Admin/bob","sessionContext":{"attributes":{"mfaAuthenticated":"false","creationDate":"2017-12-11T15:01:02Z"}}},"eventTime":"2017-12-11T15:04:05Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"eu-central-1","sourceIPAddress":"10.0.0.1","requestParameters":{"roleArn":"arn:aws:iam::123456789012:role/x","durationSeconds":3600,"ratio":-1.5e-3},"responseElements":null,"readOnly":false,"resources":[{"ARN":"a"},{"ARN":"b"}]}"#
                .utf8)
        var rng = SeededGenerator(seed: 0x5e55107)
        let alphabet = Array(#"{}[]",:\"0123456789.-eEtrufalsn x"#.utf8)
        var disagreements: [String] = []
        for _ in 0..<5000 {
            var bytes = record
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes.remove(at: at)
                case 1: bytes[at] = alphabet.randomElement(using: &rng)!
                default: bytes.insert(bytes[at], at: at)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any]
            if JSONSyntax.isObject(bytes) != foundation {
                disagreements.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(3))")
    }

    // How this was seen to fail: with the backslash test left out of the eight-byte scan, an
    // escaped quote after eight plain bytes ended the string; with the control-byte test left
    // out, a raw tab or NUL there was let through.
    @Test("strings longer than a word: every special byte at every position, as JSONSerialization judges")
    func stringsAgreeWithFoundation() {
        let specials: [[UInt8]] = [
            [0x22], [0x5C, 0x22], [0x5C, 0x5C], [0x5C, 0x6E], [0x5C, 0x75, 0x30, 0x30, 0x65, 0x39], [0x5C, 0x78],
            [0x5C, 0x75, 0x30, 0x67], [0x5C], [0x00], [0x09], [0x0A], [0x1F], [0x20], [0x7F], [0x7E], [0xC3, 0xA9],
        ]
        var checked = 0
        for length in 0...24 {
            for position in 0...length {
                for special in specials {
                    var content = [UInt8](repeating: 0x61, count: length)
                    content.insert(contentsOf: special, at: position)
                    let text = Array(#"{"k":""#.utf8) + content + Array(#""}"#.utf8)
                    let foundation = (try? JSONSerialization.jsonObject(with: Data(text))) is [String: Any]
                    if JSONSyntax.isObject(text) != foundation {
                        Issue.record(
                            "\(String(decoding: text, as: UTF8.self).debugDescription): \(!foundation) ≠ \(foundation)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked > 5_000)
    }
}
