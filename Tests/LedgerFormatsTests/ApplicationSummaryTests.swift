import Foundation
import LedgerTestSupport
import Testing

@testable import LedgerFormats

/// A YARN application summary's fields, split and unescaped with runs of plain bytes copied at
/// once, against the byte-by-byte split it replaced (kept here as the reference).
@Suite("yarn-rm: application summaries split by runs, as byte by byte")
struct ApplicationSummaryTests {
    static func reference(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> Result<
        ApplicationSummary, ApplicationSummary.Problem
    > {
        var fields: [(key: String, value: String)] = []
        var key: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        var orphan = false  // a piece without `=`: Hadoop 2.0 did not escape commas in values

        func close() {
            if inValue {
                fields.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            } else if !key.isEmpty {
                // `a,b` with an unescaped comma: the piece belongs to the previous value.
                if let last = fields.popLast() {
                    fields.append((last.key, last.value + "," + String(decoding: key, as: UTF8.self)))
                } else {
                    orphan = true
                }
            }
            key.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            inValue = false
        }

        var i = range.lowerBound
        while i < range.upperBound {
            var c = b[i]
            if c == 0x5C, i + 1 < range.upperBound {  // backslash escape
                i += 1
                switch b[i] {
                case 0x6E: c = 0x0A  // \n
                case 0x72: c = 0x0D  // \r
                default: c = b[i]  // \, \= \\ and anything else: the character itself
                }
                if inValue { value.append(c) } else { key.append(c) }
            } else if c == 0x2C {  // unescaped comma ends a field
                close()
            } else if c == 0x3D && !inValue {  // first unescaped = splits key and value
                inValue = true
            } else if inValue {
                value.append(c)
            } else {
                key.append(c)
            }
            i += 1
        }
        close()
        if orphan {
            return .failure(ApplicationSummary.Problem(reason: "application summary starts with a field without '='"))
        }
        guard !fields.isEmpty else { return .failure(ApplicationSummary.Problem(reason: "empty application summary")) }
        return .success(ApplicationSummary(fields: fields))
    }

    static func fields(_ r: Result<ApplicationSummary, ApplicationSummary.Problem>) -> String {
        switch r {
        case .success(let s): return s.fields.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1}")
        case .failure(let p): return "failure: \(p.reason)"
        }
    }

    // How this was seen to fail: with a trailing backslash dropped instead of kept, with runs
    // let past a backslash (escapes copied as they are) and with runs let past a comma (fields
    // run together), hundreds to thousands of the messages split differently.
    @Test("random messages of keys, values, escapes, commas and equals signs: the same fields")
    func runsAgreeWithBytes() {
        var rng = SeededGenerator(seed: 0x5e5510a)
        let pieces = [
            "appId", "=", ",", "\\", "\\,", "\\=", "\\n", "\\r", "\\\\", "name", "x", "é", "<memory:0\\, vCores:0>",
            " ", "1763971200000",
        ]
        var messages = [
            "", "=", ",", "\\", "a\\", "k=a=b", "k=v,", ",k=v", "k=v,orphan", "orphan,k=v", "a=1,b=2\\,3,c",
        ]
        for _ in 0..<20_000 {
            messages.append(
                (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined())
        }
        for message in messages {
            let bytes = Array(message.utf8)
            bytes.withUnsafeBytes { b in
                let new = Self.fields(ApplicationSummary.parse(b, 0..<b.count))
                let old = Self.fields(Self.reference(b, 0..<b.count))
                #expect(new == old, "\(message)")
            }
        }
    }
}
