import LedgerModel

/// The time of a saved listing, which the listing itself does not print: from a `date` line
/// before it, or from the file's name.
///
/// A time with a zone (`UTC`, `GMT`, `Z`, `+01:00`) is read in it; one without (or with another
/// zone's abbreviation, which is ambiguous: `CST`) is wall-clock time in the input's time zone,
/// as every Livy and YARN time is (SPEC §2).
enum ListingTime {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Wed Nov 19 10:30:00 UTC 2025` (`date`), `2025-11-19T10:30:00Z` or `…+00:00`
    /// (`date -Iseconds`, `date -u +%FT%TZ`), `2025-11-19 10:30:00`; nil for any other line.
    static func dateLine(_ line: String, clock: inout LocalTimeConverter) -> Int64? {
        let words = line.split(separator: " ")
        if words.count == 6, let month = months.firstIndex(of: String(words[1])), let day = Int(words[2]),
            let year = Int(words[5]), let (h, m, s) = clockTime(words[3])
        {
            let zone = String(words[4])
            return instant(
                year, month + 1, day, h, m, s, utc: zone == "UTC" || zone == "GMT" || zone == "Z", clock: &clock)
        }
        return iso(line, clock: &clock)
    }

    /// `YYYY-MM-DD[T ]HH:MM[:SS]` with an optional `Z` or `±HH:MM`, and nothing else on the line.
    static func iso(_ text: String, clock: inout LocalTimeConverter) -> Int64? {
        let u = Array(text.utf8)
        func number(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= u.count else { return nil }
            var v = 0
            for b in u[at..<(at + n)] {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int(b - 0x30)
            }
            return v
        }
        guard u.count >= 16, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54 || u[10] == 0x20, u[13] == 0x3A,
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let h = number(11, 2),
            let m = number(14, 2)
        else { return nil }
        var at = 16
        var s = 0
        if at < u.count, u[at] == 0x3A {
            guard let seconds = number(at + 1, 2) else { return nil }
            s = seconds
            at += 3
        }
        if at < u.count, u[at] == 0x2E || u[at] == 0x2C {  // fractions of a second, dropped
            at += 1
            while at < u.count, u[at] >= 0x30 && u[at] <= 0x39 { at += 1 }
        }
        if at == u.count { return instant(year, month, day, h, m, s, utc: false, clock: &clock) }
        if u[at] == 0x5A, at + 1 == u.count { return instant(year, month, day, h, m, s, utc: true, clock: &clock) }
        guard u[at] == 0x2B || u[at] == 0x2D, let oh = number(at + 1, 2) else { return nil }
        let hasColon = at + 3 < u.count && u[at + 3] == 0x3A
        guard let om = number(at + (hasColon ? 4 : 3), 2), at + (hasColon ? 6 : 5) == u.count,
            let utc = instant(year, month, day, h, m, s, utc: true, clock: &clock)
        else { return nil }
        let offset = Int64(oh * 3600 + om * 60) * 1000
        return u[at] == 0x2B ? utc - offset : utc + offset
    }

    /// A date and time in a file name: `20251119T1030Z`, `20251119-103000`, `2025-11-19T10-30-00Z`,
    /// `2025-11-19_10:30` (the separators are dropped, then eight digits, an optional `T`, four or
    /// six digits and an optional `Z` are looked for); nil when the name holds none.
    static func fileName(_ path: String, clock: inout LocalTimeConverter) -> Int64? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let u = Array(name.utf8.filter { $0 != 0x2D && $0 != 0x5F && $0 != 0x3A })
        func isDigit(_ i: Int) -> Bool { i < u.count && u[i] >= 0x30 && u[i] <= 0x39 }
        func value(_ at: Int, _ n: Int) -> Int { u[at..<(at + n)].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        var i = 0
        while i + 12 <= u.count {
            guard (0..<8).allSatisfy({ isDigit(i + $0) }), i == 0 || !isDigit(i - 1) else {
                i += 1
                continue
            }
            var at = i + 8
            if at < u.count, u[at] == 0x54 || u[at] == 0x74 { at += 1 }
            var digits = 0
            while isDigit(at + digits) { digits += 1 }
            guard digits == 4 || digits == 6 else {
                i += 1
                continue
            }
            let s = digits == 6 ? value(at + 4, 2) : 0
            let utc = at + digits < u.count && u[at + digits] == 0x5A
            return instant(
                value(i, 4), value(i + 4, 2), value(i + 6, 2), value(at, 2), value(at + 2, 2), s, utc: utc,
                clock: &clock)
        }
        return nil
    }

    static func clockTime(_ word: Substring) -> (Int, Int, Int)? {
        let parts = word.split(separator: ":")
        guard parts.count == 3, let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]) else { return nil }
        return (h, m, s)
    }

    /// UTC milliseconds of a civil time, read as UTC or in the input's time zone; nil when it
    /// names no real day or time.
    static func instant(
        _ year: Int, _ month: Int, _ day: Int, _ h: Int, _ m: Int, _ s: Int, utc: Bool, clock: inout LocalTimeConverter
    ) -> Int64? {
        guard UTCTime.isCalendarDate(year: year, month: month, day: day), (0..<24).contains(h), (0..<60).contains(m),
            (0..<61).contains(s)
        else { return nil }
        let millis = UTCTime.epochSeconds(year: year, month: month, day: day, hour: h, minute: m, second: s) * 1000
        return utc ? millis : clock.utcMillis(localMillis: millis)
    }
}
