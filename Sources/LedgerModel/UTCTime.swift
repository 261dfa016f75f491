import Foundation

/// Instants as the store keeps them: UTC, ISO 8601 text with milliseconds and `Z`
/// (`2021-11-23T10:06:56.714Z`), which sorts as text and which SQLite's date functions read.
///
/// Written by hand because this runs for every log line: Foundation's formatters cost
/// microseconds per call, this costs nanoseconds.
public enum UTCTime {
    /// Seconds since 1970-01-01T00:00:00Z of a proleptic-Gregorian civil date-time read as UTC.
    /// (Howard Hinnant's `days_from_civil`.)
    @inlinable
    public static func epochSeconds(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    ) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = Int64(era) * 146_097 + Int64(doe) - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Whether year, month and day name a day of the proleptic Gregorian calendar (`2025-02-31`
    /// does not: `epochSeconds` would quietly read it as 2025-03-03).
    public static func isCalendarDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// Whole seconds since the epoch of an instant's text (`YYYY-MM-DDTHH:MM:SS`, then anything:
    /// `Z`, `.sssZ`), each field read as `Int(_:)` reads it (an optional sign, then digits); nil
    /// when a field is not a number.
    ///
    /// On the bytes: it runs for every Livy event and session of a derive.
    public static func seconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8(seconds)
    }

    /// ``seconds(_:)-(String)`` of the UTF-8 bytes of an instant.
    @inlinable
    public static func seconds(_ u: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard u.count >= 19 else { return nil }
        func field(_ start: Int, _ width: Int) -> Int? {
            var i = start
            let end = start + width
            let negative = u[i] == 0x2D
            if negative || u[i] == 0x2B {
                i += 1
                if i == end { return nil }
            }
            var value = 0
            while i < end {
                let digit = u[i] &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
                i += 1
            }
            return negative ? -value : value
        }
        guard let y = field(0, 4), let mo = field(5, 2), let d = field(8, 2), let h = field(11, 2),
            let mi = field(14, 2), let s = field(17, 2)
        else { return nil }
        return epochSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
    }

    /// `YYYY-MM-DDTHH:MM:SS.sssZ` for milliseconds since the epoch.
    public static func iso8601(millis: Int64) -> String {
        format(millis: millis, withMillis: true)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (second precision, as every CSV of the reports uses).
    public static func iso8601Seconds(millis: Int64) -> String {
        format(millis: millis, withMillis: false)
    }

    /// Written into the string's own storage: this runs for every stored row and derived session.
    private static func format(millis: Int64, withMillis: Bool) -> String {
        var ms = millis % 1000
        var secs = millis / 1000
        if ms < 0 {
            ms += 1000
            secs -= 1
        }
        var (days, rem) = secs.quotientAndRemainder(dividingBy: 86_400)
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        let (y, m, d) = civil(fromDays: days)
        let hh = Int(rem / 3600)
        let mm = Int(rem % 3600 / 60)
        let ss = Int(rem % 60)
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ v: Int, _ width: Int, at start: Int) {
                var v = v
                for i in stride(from: start + width - 1, through: start, by: -1) {
                    out[i] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                    v /= 10
                }
            }
            put(y, 4, at: 0)
            out[4] = 0x2D
            put(m, 2, at: 5)
            out[7] = 0x2D
            put(d, 2, at: 8)
            out[10] = 0x54
            put(hh, 2, at: 11)
            out[13] = 0x3A
            put(mm, 2, at: 14)
            out[16] = 0x3A
            put(ss, 2, at: 17)
            guard withMillis else {
                out[19] = 0x5A
                return 20
            }
            out[19] = 0x2E
            put(Int(ms), 3, at: 20)
            out[23] = 0x5A
            return 24
        }
    }

    /// Civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    @usableFromInline
    static func civil(fromDays z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }
}

/// Turns wall-clock times of a log written in a known time zone into UTC.
///
/// Livy and YARN timestamps carry no zone (SPEC §2); each input has one (default UTC). The
/// offset is cached per local hour, so converting a line costs a dictionary lookup at most.
/// In the hour repeated when clocks go back, the earlier of the two instants is chosen.
public struct LocalTimeConverter: Sendable {
    public let timeZone: TimeZone
    private let fixedOffset: Int64?
    private var cache: [Int64: Int64] = [:]

    /// - Throws: ``LedgerError/unknownTimeZone(_:)`` for a name Foundation does not know.
    public init(identifier: String) throws(LedgerError) {
        guard let tz = TimeZone(identifier: identifier) else { throw .unknownTimeZone(identifier) }
        self.init(timeZone: tz)
    }

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        // A zone without transitions (UTC, Etc/GMT+5, fixed offsets) needs no lookup per hour.
        let probe = Date(timeIntervalSince1970: 0)
        if timeZone.nextDaylightSavingTimeTransition(after: probe) == nil {
            fixedOffset = Int64(timeZone.secondsFromGMT(for: probe))
        } else {
            fixedOffset = nil
        }
    }

    /// UTC milliseconds for local wall-clock milliseconds (the local time read as if UTC).
    public mutating func utcMillis(localMillis: Int64) -> Int64 {
        if let fixedOffset { return localMillis - fixedOffset * 1000 }
        // Zone transitions fall on whole quarter hours, so the offset is constant per bucket.
        let bucketMillis: Int64 = 900_000
        let bucket = localMillis >= 0 ? localMillis / bucketMillis : (localMillis - bucketMillis + 1) / bucketMillis
        if let offset = cache[bucket] { return localMillis - offset * 1000 }
        let offset = offsetSeconds(localSeconds: bucket * bucketMillis / 1000)
        if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
        cache[bucket] = offset
        return localMillis - offset * 1000
    }

    /// The UTC offset in force at a local wall-clock time: of the offsets in force a day before and
    /// a day after, those that map the local time back onto themselves; the earlier instant wins
    /// (the repeated hour when clocks go back).
    ///
    /// In the hour skipped when clocks go forward no offset fits, and the offset from before the
    /// change is used (02:30 → 03:30).
    private func offsetSeconds(localSeconds: Int64) -> Int64 {
        func offset(at utc: Int64) -> Int64 {
            Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc))))
        }
        let before = offset(at: localSeconds - 86_400)
        let after = offset(at: localSeconds + 86_400)
        let valid = [before, after].filter { offset(at: localSeconds - $0) == $0 }
        // Earliest instant = largest offset.
        return valid.max() ?? before
    }
}
