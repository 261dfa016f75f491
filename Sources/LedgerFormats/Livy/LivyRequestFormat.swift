import LedgerModel

/// `livy-request`: Livy's Jetty request log (`yyyy_mm_dd.request.log[.gz]`), NCSA common
/// format in GMT (formats.md §1.1):
/// `10.0.1.5 - - [24/Nov/2025:09:12:03 +0000] "POST /sessions/0/statements HTTP/1.1" 201 57`.
///
/// The only record of user activity (SPEC §2): statement submissions, cancels, session creates
/// and deletes. Only requests that change something (POST, PUT, DELETE on `/sessions` and
/// `/batches`) are stored, in `livy_request`; the many GETs of notebooks polling for results are
/// counted as lines and skipped. Extended-format tails (referer, agent, latency) are ignored.
public struct LivyRequestFormat: LogFormat {
    public static let name = "livy-request"
    public static let summary = "Apache Livy request log (Jetty NCSA, GMT): statements, creates and deletes per session"

    /// Recognised when the first request lines are NCSA lines and one of them calls Livy's REST
    /// API (`/sessions` or `/batches`): any web server writes NCSA, only Livy serves those paths.
    public static func recognizes(_ head: HeadSample) -> Bool {
        var ncsa = 0
        var livy = false
        for line in head.lines.prefix(200) where !line.isEmpty {
            var line = line
            guard let request = line.withUTF8({ NCSALine.parse(UnsafeRawBufferPointer($0)) }) else { return false }
            ncsa += 1
            if request.path.hasPrefix("/sessions") || request.path.hasPrefix("/batches") { livy = true }
        }
        return ncsa > 0 && livy
    }

    public static let requestColumns = [
        "cluster_id", "at", "client", "user", "method", "path", "session_type", "session_id", "action",
        "status", "bytes",
    ]

    private var context: ParseContext
    private var tally = ParseTally()
    private var requests = TableBatch(table: "livy_request", columns: requestColumns)

    public init(context: ParseContext) {
        self.context = context
    }

    public mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer) {
        tally.sawLine()
        guard !bytes.isEmpty else { return }
        guard let r = NCSALine.parse(bytes) else {
            tally.reject(line: lineNumber, reason: "livy-request: not an NCSA request line", bytes: bytes)
            return
        }
        tally.sawEvent(atMillis: r.utcMillis)
        guard r.method != "GET" && r.method != "HEAD" && r.method != "OPTIONS" else { return }
        let parts = r.path.split(separator: "?", maxSplits: 1)[0].split(separator: "/")
        guard let root = parts.first, root == "sessions" || root == "batches" else { return }
        let type = root == "sessions" ? "interactive" : "batch"
        let id = parts.count >= 2 ? Int64(parts[1]) : nil
        let action: String
        switch (r.method, parts.count) {
        case ("POST", 1): action = "create"
        case ("DELETE", 2): action = "delete"
        case ("POST", 3) where parts[2] == "statements": action = "statement"
        case ("POST", 5) where parts[2] == "statements" && parts[4] == "cancel": action = "cancel"
        default: action = "other"
        }
        requests.append(line: lineNumber, [
            .optionalText(context.input.clusterID), .text(UTCTime.iso8601(millis: r.utcMillis)),
            .text(r.client), .optionalText(r.user), .text(r.method), .text(r.path), .text(type),
            .optionalInteger(id), .text(action), .integer(Int64(r.status)), .optionalInteger(r.bytes),
        ])
        tally.produced()
    }

    public var heldRows: Int { requests.rowCount }

    public mutating func takeRows() -> [TableBatch] {
        let requestsRows = requests.take()
        return [requestsRows].filter { $0.rowCount > 0 }
    }

    public mutating func finish() -> ParsedFile {
        tally.finish(batches: [requests])
    }
}

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
        guard b[t + 2] == 0x2F, b[t + 6] == 0x2F, b[t + 11] == 0x3A, b[t + 14] == 0x3A, b[t + 17] == 0x3A, b[t + 20] == 0x20,
            let d = Log4jLine.digits(b, t, 2), let y = Log4jLine.digits(b, t + 7, 4), let h = Log4jLine.digits(b, t + 12, 2),
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
