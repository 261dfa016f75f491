import Foundation
import LedgerModel
import LedgerTestSupport
import Testing

@testable import LedgerDerive

/// The derive's readers of stored text, on bytes, against the plain readings they replaced
/// (kept here as the reference).
@Suite("Derive: stored instants and confs read on bytes")
struct DeriveReadingTests {
    /// The reading `SessionDeriver.seconds` had before it read bytes: each field through `Int(_:)`.
    static func referenceSeconds(_ text: String) -> Int64? {
        let u = Array(text.utf8)
        guard u.count >= 19, let y = Int(String(decoding: u[0..<4], as: UTF8.self)),
            let mo = Int(String(decoding: u[5..<7], as: UTF8.self)),
            let d = Int(String(decoding: u[8..<10], as: UTF8.self)),
            let h = Int(String(decoding: u[11..<13], as: UTF8.self)),
            let mi = Int(String(decoding: u[14..<16], as: UTF8.self)),
            let s = Int(String(decoding: u[17..<19], as: UTF8.self))
        else { return nil }
        return UTCTime.epochSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
    }

    /// The conf's values of the executor keys as Foundation's parser reads them, for every conf.
    static func referenceConf(_ json: String) -> SessionDeriver.ExecutorConf {
        guard let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String]
        else { return SessionDeriver.ExecutorConf() }
        return SessionDeriver.ExecutorConf(SessionDeriver.ExecutorConf.keys.map { object[$0] })
    }

    // How this was seen to fail: with the sign not read (a `+` or `-` taken as a non-digit),
    // "+1"-style fields disagreed; with `digit < 10` written `<= 10`, a `:` in a field did.
    @Test("instants: the same seconds as Int(_:) per field, for stored and mangled text")
    func secondsAgreeWithIntParsing() {
        var rng = SeededGenerator(seed: 0x5e55105)
        let alphabet = Array("0123456789012345678901234567890123456789+-:TZ.é ")
        var cases = [
            "2025-11-24T00:00:00Z", "2025-11-24T00:00:00.000Z", "1970-01-01T00:00:00Z", "2025-11-24T00:00:0", "",
            "+025-11-24T00:00:00Z", "2025-+1-24T00:-0:00Z", "2025-11-24T00:00:+Z", "2025-11-24T00:00:-9.000Z",
            "2025-11-24T0é:00:00Z", "20251124T000000Z000000",
        ]
        for _ in 0..<20_000 {
            var chars = Array("2025-11-24T00:00:00.000Z")
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                chars[Int.random(in: 0..<chars.count, using: &rng)] = alphabet.randomElement(using: &rng)!
            }
            cases.append(String(chars.prefix(Int.random(in: 17...24, using: &rng))))
        }
        for text in cases {
            #expect(SessionDeriver.seconds(text) == Self.referenceSeconds(text), "\(text)")
        }
        #expect(SessionDeriver.seconds("2021-11-23T02:06:29.105Z") == 1_637_633_189)
    }

    // How this was seen to fail: with escapes let through, `\u0037` was not read as 7; with
    // bytes after the closing brace let through, `{…}x` gave 3 where Foundation refuses it.
    // (A key named twice is handed to Foundation too, out of caution: Foundation keeps the
    // last value, as reading on would, so no case here tells the two apart.)
    @Test("confs: the same executor settings as Foundation's parser, for confs as stored and odd ones")
    func executorsAgreeWithFoundation() {
        let key = "spark.executor.instances"
        let keys = SessionDeriver.ExecutorConf.keys
        var cases = [
            "{}", "{\"\(key)\":\"3\"}", "{\"a\":\"b\",\"\(key)\":\"12\"}", "{\"\(key)\":\"x\"}", "{\"\(key)\":\"\"}",
            "{\"x.\(key)\":\"3\"}", "{\"a\":\"\(key)\"}", "{\"a\":\"\\\"\(key)\\\":\\\"9\\\"\"}",
            "{\"\(key)\":\"4\",\"\(key)\":\"5\"}",
            "{ \"\(key)\" : \"6\" }", "{\"\(key)\":\"\\u0037\"}", "{\"\\u0073park.executor.instances\":\"8\"}",
            "{\"\(key)\":7}",
            "{\"\(key)\":\"3\"", "{\"\(key)\":\"3\"}x", "{\"\(key)\":\"3\"} ", "not json",
            "{\"a\":\",\\\"\(key)\\\":\\\"2\"}",
        ]
        var rng = SeededGenerator(seed: 0x5e55106)
        let pieces = [
            key, "spark.driver.memory", "a", "\"", "\\", ",", ":", "{", "}", "3", "12", " ", "é", "\(key)\":\"",
            "true", "FALSE", "-1",
        ]
        for _ in 0..<3_000 {
            var pairs: [(String, String)] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                func text() -> String {
                    (0..<Int.random(in: 1...3, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
                }
                pairs.append((Bool.random(using: &rng) ? keys.randomElement(using: &rng)! : text(), text()))
            }
            cases.append(JSONText.object(pairs))
        }
        var quick = 0
        for json in cases {
            #expect(SessionDeriver.executorConf(json) == Self.referenceConf(json), "\(json)")
            var bytes = json
            if bytes.withUTF8(SessionDeriver.quickConfValues) != nil { quick += 1 }
        }
        // The stored form is read on the bytes, not handed to Foundation.
        var stored = JSONText.object([
            ("spark.driver.memory", "2g"), (key, "3"), ("spark.dynamicAllocation.enabled", "True"),
            ("spark.dynamicAllocation.maxExecutors", " 5"),
        ])
        #expect(stored.withUTF8(SessionDeriver.quickConfValues) == ["3", "True", " 5"])
        #expect(
            SessionDeriver.executorConf(stored)
                == SessionDeriver.ExecutorConf(instances: 3, dynamicAllocation: true, maxExecutors: 5))
        #expect(quick > 500)
    }

    // How this was seen to fail: with every non-ASCII text given a new number, the decomposed
    // "café" did not find the precomposed one's sessions (as Strings they are equal); with the
    // ASCII comparison made case-blind, "Batch" took batch's number.
    @Test("session types: one number per text as Swift's Strings compare them, on bytes when ASCII")
    func typeCodesFollowStringEquality() {
        var codes = SessionDeriver.TypeCodes()
        func code(_ text: String) -> Int {
            var text = text
            return text.withUTF8 { codes.code($0) }
        }
        let texts = [
            "interactive", "batch", "Batch", "café", "cafe\u{301}", "spark", "", "interactive ", "batch", "spark",
        ]
        let numbers = texts.map(code)
        #expect(numbers[0] == SessionDeriver.TypeCodes.interactive && numbers[1] == SessionDeriver.TypeCodes.batch)
        for i in texts.indices {
            for j in texts.indices {
                #expect(
                    (numbers[i] == numbers[j]) == (texts[i] == texts[j]),
                    "\(texts[i].debugDescription) / \(texts[j].debugDescription)")
            }
        }
    }

    // How this was seen to fail: with a name matched as a prefix of the bytes, "deletedx" was
    // read as deleted; with "stopping" among the names, the walk acted on a line it passes over.
    @Test("events: the walk acts on exactly its twelve event names, byte for byte")
    func walkEventsByName() {
        func event(_ text: String) -> SessionDeriver.WalkEvent? {
            var text = text
            return text.withUTF8 { SessionDeriver.WalkEvent($0) }
        }
        let acted: [(String, SessionDeriver.WalkEvent)] = [
            ("server_start", .serverStart), ("server_stop", .serverStop), ("recovered", .recovered),
            ("create", .create),
            ("ready", .ready), ("idle_timeout", .idleTimeout), ("finished_purge", .finishedPurge),
            ("heartbeat_expired", .heartbeatExpired), ("deleting", .deleting), ("deleted", .deleted),
            ("stopped", .stopped),
            ("app_not_found", .appNotFound),
        ]
        for (name, expected) in acted {
            #expect(event(name) == expected, "\(name)")
        }
        // The table's other events, and near misses.
        for name in ["stopping", "app_submitted", "delete", "deletedx", "Ready", "ready ", "", "server_star"] {
            #expect(event(name) == nil, "\(name)")
        }
    }
}
