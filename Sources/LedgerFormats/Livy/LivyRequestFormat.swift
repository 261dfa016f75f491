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

    /// The staging tables this format fills.
    public static var tables: [StagingTable] { [requestTable] }

    public static let requestTable = StagingTable(
        "livy_request",
        columns: [
            "cluster_id", "at", "client", "user", "method", "path", "session_type", "session_id", "action",
            "status", "bytes",
        ])

    private var context: ParseContext
    private var tally = ParseTally()
    private var requests = TableBatch(requestTable)

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
        requests.append(
            line: lineNumber,
            [
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
