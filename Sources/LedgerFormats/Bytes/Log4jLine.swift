import Foundation
import LedgerModel

/// The prefix of a log4j line: timestamp, level, logger, optional thread, then the message.
///
/// Layouts accepted (formats.md §1.2, §2.2):
/// - Hadoop `%d{ISO8601} %p %c: %m` — `2021-11-23 10:06:56,714 INFO org.apache…RMAppManager$ApplicationSummary: appId=…`
/// - EMR daemons `%d{ISO8601} %p %c (%t): %m` — the thread name may contain spaces
/// - `%c{2}` loggers as in `rm-appsummary.log` — `resourcemanager.RMAppManager$ApplicationSummary: …`
/// - MapReduce / vendor `%d %p [%t] %c: %m` and `%d %-5p %c{1}:%L - %m`
/// - Livy / Spark `%d{yy/MM/dd HH:mm:ss} %p %c{1}: %m`
///
/// Works on bytes: it runs for every line of every log.
public struct Log4jLine: Equatable {
    /// The wall-clock time, read as if it were UTC, in milliseconds.
    public var localMillis: Int64
    public var level: Range<Int>
    public var logger: Range<Int>
    public var thread: Range<Int>?
    public var message: Range<Int>

    /// Parses the prefix; nil for a line that does not start with a timestamp and a level
    /// (a stack-trace line, a continuation, or another format).
    public static func parse(_ b: UnsafeRawBufferPointer) -> Log4jLine? {
        let n = b.count
        var i: Int
        var millis: Int64
        // yyyy-MM-dd HH:mm:ss[,SSS]
        if n >= 19, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x20, b[13] == 0x3A, b[16] == 0x3A {
            guard let y = digits(b, 0, 4), let mo = digits(b, 5, 2), let d = digits(b, 8, 2),
                let h = digits(b, 11, 2), let mi = digits(b, 14, 2), let s = digits(b, 17, 2),
                valid(mo, d, h, mi, s)
            else { return nil }
            millis = UTCTime.epochSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s) * 1000
            i = 19
            if n >= 23, b[19] == 0x2C || b[19] == 0x2E, let ms = digits(b, 20, 3) {
                millis += Int64(ms)
                i = 23
            }
        } else if n >= 17, b[2] == 0x2F, b[5] == 0x2F, b[8] == 0x20, b[11] == 0x3A, b[14] == 0x3A {
            // yy/MM/dd HH:mm:ss
            guard let y = digits(b, 0, 2), let mo = digits(b, 3, 2), let d = digits(b, 6, 2),
                let h = digits(b, 9, 2), let mi = digits(b, 12, 2), let s = digits(b, 15, 2),
                valid(mo, d, h, mi, s)
            else { return nil }
            millis = UTCTime.epochSeconds(year: 2000 + y, month: mo, day: d, hour: h, minute: mi, second: s) * 1000
            i = 17
        } else {
            return nil
        }
        // One or more spaces, then the level.
        guard i < n, b[i] == 0x20 else { return nil }
        while i < n, b[i] == 0x20 { i += 1 }
        let levelStart = i
        while i < n, b[i] >= 0x41, b[i] <= 0x5A { i += 1 }
        guard i - levelStart >= 4, i - levelStart <= 5, i < n, b[i] == 0x20 else { return nil }
        let level = levelStart..<i
        while i < n, b[i] == 0x20 { i += 1 }
        // Optional [thread] before the logger.
        var thread: Range<Int>?
        if i < n, b[i] == 0x5B {
            guard let close = find(b, 0x5D, from: i + 1) else { return nil }
            thread = (i + 1)..<close
            i = close + 1
            while i < n, b[i] == 0x20 { i += 1 }
        }
        // The logger: up to a space or the end (memchr: Java logger names are long).
        let loggerStart = i
        if i < n, let base = b.baseAddress {
            i = memchr(base + i, 0x20, n - i).map { base.distance(to: UnsafeRawPointer($0)) } ?? n
        }
        guard i > loggerStart else { return nil }
        let loggerEnd = i
        if b[loggerEnd - 1] == 0x3A {
            // `logger: message`
            let messageStart = min(i + 1, n)
            return Log4jLine(
                localMillis: millis, level: level, logger: loggerStart..<(loggerEnd - 1),
                thread: thread, message: messageStart..<n)
        }
        // `Logger:123 - message`
        if let colon = lastIndex(b, 0x3A, in: loggerStart..<loggerEnd), colon + 1 < loggerEnd,
            (colon + 1..<loggerEnd).allSatisfy({ b[$0] >= 0x30 && b[$0] <= 0x39 }),
            i + 2 < n, b[i + 1] == 0x2D, b[i + 2] == 0x20
        {
            return Log4jLine(
                localMillis: millis, level: level, logger: loggerStart..<colon,
                thread: thread, message: (i + 3)..<n)
        }
        // `logger (thread name): message`
        if i + 1 < n, b[i + 1] == 0x28 {
            var j = i + 2
            while j + 2 < n {
                if b[j] == 0x29, b[j + 1] == 0x3A, b[j + 2] == 0x20 {
                    return Log4jLine(
                        localMillis: millis, level: level, logger: loggerStart..<loggerEnd,
                        thread: (i + 2)..<j, message: (j + 3)..<n)
                }
                j += 1
            }
            if j + 1 < n, b[j] == 0x29, b[j + 1] == 0x3A {
                return Log4jLine(
                    localMillis: millis, level: level, logger: loggerStart..<loggerEnd,
                    thread: (i + 2)..<j, message: n..<n)
            }
        }
        return nil
    }

    @inline(__always)
    static func digits(_ b: UnsafeRawBufferPointer, _ at: Int, _ count: Int) -> Int? {
        var v = 0
        for k in at..<(at + count) {
            let c = b[k] &- 0x30
            guard c < 10 else { return nil }
            v = v * 10 + Int(c)
        }
        return v
    }

    @inline(__always)
    static func valid(_ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Bool {
        mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60
    }

    static func find(_ b: UnsafeRawBufferPointer, _ byte: UInt8, from: Int) -> Int? {
        var i = from
        while i < b.count {
            if b[i] == byte { return i }
            i += 1
        }
        return nil
    }

    static func lastIndex(_ b: UnsafeRawBufferPointer, _ byte: UInt8, in r: Range<Int>) -> Int? {
        var i = r.upperBound - 1
        while i >= r.lowerBound {
            if b[i] == byte { return i }
            i -= 1
        }
        return nil
    }
}

extension UnsafeRawBufferPointer {
    /// Whether the bytes in `range` end with `suffix`.
    @inlinable
    func hasSuffix(_ suffix: StaticString, in range: Range<Int>) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard range.count >= count else { return false }
        let start = range.upperBound - count
        let p = suffix.utf8Start
        for k in 0..<count where self[start + k] != p[k] { return false }
        return true
    }

    /// The bytes in `range` as a String (invalid UTF-8 replaced).
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: self[range]), as: UTF8.self)
    }
}

extension HeadSample {
    /// Whether one of the sample's lines is a log4j line that `matches` accepts.
    func containsLog4jLine(where matches: (UnsafeRawBufferPointer, Log4jLine) -> Bool) -> Bool {
        for line in lines {
            var line = line
            let found = line.withUTF8 { utf8 -> Bool in
                let b = UnsafeRawBufferPointer(utf8)
                guard let parsed = Log4jLine.parse(b) else { return false }
                return matches(b, parsed)
            }
            if found { return true }
        }
        return false
    }
}
