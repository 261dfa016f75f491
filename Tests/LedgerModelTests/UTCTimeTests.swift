import Foundation
import LedgerModel
import LedgerTestSupport
import Testing

@Suite("UTC instants and local wall-clock times")
struct UTCTimeTests {
    // Expected instants were computed with Python's datetime, not with this code:
    //   datetime.fromtimestamp(1637633189105/1000, timezone.utc) = 2021-11-23T02:06:29.105Z
    @Test("epoch milliseconds are written as ISO 8601 with milliseconds and Z")
    func formatsEpochMilliseconds() {
        #expect(UTCTime.iso8601(millis: 0) == "1970-01-01T00:00:00.000Z")
        #expect(UTCTime.iso8601(millis: 1_637_633_189_105) == "2021-11-23T02:06:29.105Z")
        #expect(UTCTime.iso8601(millis: 951_782_400_000) == "2000-02-29T00:00:00.000Z")  // leap day
        #expect(UTCTime.iso8601(millis: -1) == "1969-12-31T23:59:59.999Z")
        #expect(UTCTime.iso8601Seconds(millis: 1_637_633_189_105) == "2021-11-23T02:06:29Z")
    }

    // How this was seen to fail: with the seconds form ending in `.Z` (the millisecond dot left
    // in), every case differed.
    @Test("the seconds form is the milliseconds form cut after the seconds, for any instant")
    func secondsFormIsTheCutMillisecondsForm() {
        var rng = SeededGenerator(seed: 0x5e55102)
        let edges: [Int64] = [0, -1, -1000, 999, 1000, 951_782_400_000, 253_402_300_799_999, -62_135_596_800_000]
        for millis in edges
            + (0..<20_000).map({ _ in Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &rng) })
        {
            let full = UTCTime.iso8601(millis: millis)
            #expect(UTCTime.iso8601Seconds(millis: millis) == String(full.prefix(19)) + "Z", "\(millis)")
        }
    }

    @Test("civil date-times convert to epoch seconds")
    func civilToEpoch() {
        #expect(UTCTime.epochSeconds(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0) == 0)
        #expect(UTCTime.epochSeconds(year: 2021, month: 11, day: 23, hour: 2, minute: 6, second: 29) == 1_637_633_189)
        #expect(UTCTime.epochSeconds(year: 2024, month: 3, day: 1, hour: 0, minute: 0, second: 0) == 1_709_251_200)
    }

    @Test("a log's wall-clock time in Asia/Shanghai (UTC+8) is moved to UTC")
    func convertsFixedOffsetZone() throws {
        var clock = try LocalTimeConverter(identifier: "Asia/Shanghai")
        // 2021-11-23 10:06:56.714 local (the Hadoop 3.3 line of formats.md) = 02:06:56.714Z
        let local = UTCTime.epochSeconds(year: 2021, month: 11, day: 23, hour: 10, minute: 6, second: 56) * 1000 + 714
        #expect(UTCTime.iso8601(millis: clock.utcMillis(localMillis: local)) == "2021-11-23T02:06:56.714Z")
    }

    @Test("daylight saving time: summer and winter offsets, the repeated and the skipped hour")
    func convertsAcrossDaylightSaving() throws {
        var clock = try LocalTimeConverter(identifier: "America/New_York")
        func utc(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int) -> String {
            UTCTime.iso8601Seconds(
                millis: clock.utcMillis(
                    localMillis: UTCTime.epochSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: 0) * 1000
                ))
        }
        #expect(utc(2024, 7, 1, 12, 0) == "2024-07-01T16:00:00Z")  // EDT, UTC-4
        #expect(utc(2024, 1, 15, 12, 0) == "2024-01-15T17:00:00Z")  // EST, UTC-5
        // 2024-11-03 01:30 happens twice (EDT then EST): the earlier instant, 05:30Z, is chosen.
        #expect(utc(2024, 11, 3, 1, 30) == "2024-11-03T05:30:00Z")
        // 2024-03-10 02:30 does not exist; read with the offset before the change (EST): 07:30Z.
        #expect(utc(2024, 3, 10, 2, 30) == "2024-03-10T07:30:00Z")
        #expect(utc(2024, 3, 10, 3, 30) == "2024-03-10T07:30:00Z")  // 03:30 EDT is the same instant
    }

    @Test("an unknown zone name is a typed error naming it")
    func rejectsUnknownZone() {
        #expect(throws: LedgerError.unknownTimeZone("Mars/Olympus")) {
            try LocalTimeConverter(identifier: "Mars/Olympus")
        }
    }
}

@Suite("JSON text")
struct JSONTextTests {
    @Test("strings are escaped, keys keep their order")
    func escapes() {
        #expect(JSONText.quote("a\"b\\c\nd\u{1}") == #""a\"b\\c\nd\u0001""#)
        #expect(JSONText.object([("z", "1"), ("a", "é")]) == #"{"z":"1","a":"é"}"#)
    }
}
