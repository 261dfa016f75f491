import LedgerModel

/// One NCSA common-log line: `host ident user [dd/MMM/yyyy:HH:mm:ss ±hhmm] "METHOD URI PROTO" status bytes`.
struct NCSALine {
    var client: String
    var user: String?
    var utcMillis: Int64
    var method: String
    var path: String
    var status: Int
    var bytes: Int64?

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ b: UnsafeRawBufferPointer) -> NCSALine? {
        guard let open = Log4jLine.find(b, 0x5B, from: 0), let close = Log4jLine.find(b, 0x5D, from: open + 1),
            close - open - 1 == 26
        else { return nil }
        let head = b.string(0..<open).split(separator: " ")
        guard head.count == 3 else { return nil }
        // dd/MMM/yyyy:HH:mm:ss +hhmm
        let t = open + 1
        guard b[t + 2] == 0x2F, b[t + 6] == 0x2F, b[t + 11] == 0x3A, b[t + 14] == 0x3A, b[t + 17] == 0x3A,
            b[t + 20] == 0x20,
            let d = Log4jLine.digits(b, t, 2), let y = Log4jLine.digits(b, t + 7, 4),
            let h = Log4jLine.digits(b, t + 12, 2),
            let mi = Log4jLine.digits(b, t + 15, 2), let s = Log4jLine.digits(b, t + 18, 2),
            let month = months.firstIndex(of: b.string((t + 3)..<(t + 6))),
            let oh = Log4jLine.digits(b, t + 22, 2), let om = Log4jLine.digits(b, t + 24, 2),
            b[t + 21] == 0x2B || b[t + 21] == 0x2D, Log4jLine.valid(month + 1, d, h, mi, s)
        else { return nil }
        let offset = Int64((oh * 60 + om) * 60) * (b[t + 21] == 0x2D ? -1 : 1)
        let local = UTCTime.epochSeconds(year: y, month: month + 1, day: d, hour: h, minute: mi, second: s)
        // `"METHOD URI PROTO" status bytes`
        guard close + 2 < b.count, b[close + 1] == 0x20, b[close + 2] == 0x22,
            let endQuote = Log4jLine.find(b, 0x22, from: close + 3)
        else { return nil }
        let request = b.string((close + 3)..<endQuote).split(separator: " ")
        guard request.count >= 2 else { return nil }
        let tail = b.string(min(endQuote + 1, b.count)..<b.count).split(separator: " ")
        guard let first = tail.first, let status = Int(first), status >= 100, status <= 599 else { return nil }
        let user = head[2] == "-" ? nil : String(head[2])
        return NCSALine(
            client: String(head[0]), user: user, utcMillis: (local - offset) * 1000, method: String(request[0]),
            path: String(request[1]), status: status, bytes: tail.count > 1 ? Int64(tail[1]) : nil)
    }
}
