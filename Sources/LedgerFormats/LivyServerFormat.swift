import Foundation
import LedgerModel

/// `livy-server`: the Livy server's log (`livy-livy-server.out[.N][.gz]`), formats.md §1.
///
/// Livy logs no state changes at INFO (§1.4), so a session's life is read from the lifecycle
/// messages of §1.3 and §1.6, for every dialect from 0.5 to 0.9: server start and recovery,
/// interactive and batch create / ready, deleting / deleted, stopping / stopped, the
/// idle-timeout message in its per-version number formats, the 0.9 "finished before" purge,
/// heartbeat expiry, "No YARN application is found with tag", and the application ids in
/// spark-submit output forwarded through `LineBufferedStream` (with 0.5's `stdout: ` prefix).
/// Stack-trace lines are continuations and are skipped.
///
/// Each event becomes one `livy_event` row; `conf` values whose key looks like a secret are
/// stored as `***` (SPEC §7).
public struct LivyServerFormat: LogFormat {
    public static let name = "livy-server"
    public static let summary = "Apache Livy server log: server starts and the life of every session (0.5–0.9 dialects)"

    /// Logger names (last dotted component) that only a Livy server writes.
    static let livyLoggers: [String] = [
        "LivyServer", "LivyServer$", "WebServer", "InteractiveSessionManager", "BatchSessionManager",
        "InteractiveSession", "InteractiveSession$", "BatchSession", "BatchSession$", "SparkYarnApp",
        "SparkYarnApp$", "LineBufferedStream", "StateStore$", "ZooKeeperStateStore", "FileSystemStateStore",
        "SessionHeartbeatWatchdog", "LivyConf", "AccessManager", "SessionServlet", "InteractiveSessionServlet",
        "BatchSessionServlet",
    ]
    private static let livyLoggerBytes = livyLoggers.map { Array($0.utf8) }

    public static func recognizes(_ head: HeadSample) -> Bool {
        head.containsLog4jLine { b, line in livyLogger(b, line.logger) != nil }
    }

    /// The Livy logger name of the line's logger (its last dotted component), matched on the
    /// bytes: every line of the log asks, and most are not Livy's.
    static func livyLogger(_ b: UnsafeRawBufferPointer, _ logger: Range<Int>) -> String? {
        let start = Log4jLine.lastIndex(b, 0x2E, in: logger).map { $0 + 1 } ?? logger.lowerBound
        let name = start..<logger.upperBound
        for (i, candidate) in livyLoggerBytes.enumerated() where b.equals(candidate, in: name) {
            return livyLoggers[i]
        }
        return nil
    }

    /// The `livy_event` staging table, in column order.
    public static let eventColumns = [
        "cluster_id", "at", "event", "session_type", "session_id", "app_id", "owner", "proxy_user",
        "kind", "driver_memory", "driver_cores", "executor_memory", "executor_cores", "num_executors",
        "queue", "name", "conf", "detail",
    ]

    /// What a lifecycle line says happened.
    public enum Event: String, Sendable, CaseIterable {
        case serverStart = "server_start"
        case serverStop = "server_stop"
        case recovered
        case create
        case ready
        case deleting
        case deleted
        case stopping
        case stopped
        case idleTimeout = "idle_timeout"
        case finishedPurge = "finished_purge"
        case heartbeatExpired = "heartbeat_expired"
        case appNotFound = "app_not_found"
        case appSubmitted = "app_submitted"
    }

    private var context: ParseContext
    private var tally = ParseTally()
    private var events = TableBatch(table: "livy_event", columns: eventColumns)
    /// Time of the last log line, for continuation lines.
    private var lastAt: Int64?

    public init(context: ParseContext) {
        self.context = context
    }

    public mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer) {
        tally.sawLine()
        guard let line = Log4jLine.parse(bytes) else {
            // A stack-trace line. The app-lookup failure is thrown, so its message arrives here,
            // under the ERROR line that logged it (formats.md §1.7).
            if let lastAt, bytes.contains("No YARN application is found with tag ", in: 0..<bytes.count) {
                try? parse(bytes.string(0..<bytes.count), logger: "", lineNumber: lineNumber, at: lastAt)
            }
            return
        }
        let at = context.clock.utcMillis(localMillis: line.localMillis)
        lastAt = at
        tally.sawEvent(atMillis: at)
        guard let logger = Self.livyLogger(bytes, line.logger) else { return }
        if logger == "LineBufferedStream" {
            // Forwarded spark-submit output: `[stdout: ]yy/MM/dd HH:mm:ss INFO YarnClientImpl: Submitted application application_…`;
            // most lines are other spark-submit chatter, so look at the bytes before making a String.
            guard let hit = bytes.firstOffset(of: "Submitted application application_", in: line.message) else { return }
            let id = hit + 22  // `application_…`
            var end = id
            while end < line.message.upperBound, Self.isIDByte(bytes[end]) { end += 1 }
            let text = bytes.string(id..<end)
            append(lineNumber, at, .appSubmitted, appID: ApplicationSummary.isApplicationID(text) ? text : nil)
            return
        }
        let message = bytes.string(line.message)
        do {
            try parse(message, logger: logger, lineNumber: lineNumber, at: at)
        } catch {
            // The excerpt is the redacted message, never the raw line (it may hold secrets).
            let reason = (error as? LivyProblem)?.reason ?? "\(error)"
            tally.reject(line: lineNumber, reason: "livy-server: \(reason)", excerpt: Redaction.redactConf(in: message))
        }
    }

    struct LivyProblem: Error { let reason: String }

    private mutating func parse(_ m: String, logger: String, lineNumber: Int, at: Int64) throws {
        if m.hasPrefix("Starting server on ") {
            append(lineNumber, at, .serverStart, detail: String(m.dropFirst(19)))
        } else if m.hasPrefix("Shutting down Livy server") {
            append(lineNumber, at, .serverStop)
        } else if m.hasPrefix("Recovered ") {
            // Recovered {k} {interactive|batch} sessions. Next session id: {m}
            let words = m.split(separator: " ")
            guard words.count >= 3, let k = Int(words[1]) else { throw LivyProblem(reason: "unreadable recovery line") }
            append(lineNumber, at, .recovered, type: String(words[2]), detail: String(k))
        } else if m.hasPrefix("Creating Interactive session ") || m.hasPrefix("Creating batch session ") {
            let interactive = m.hasPrefix("Creating Interactive")
            let rest = m.dropFirst(interactive ? 29 : 23)
            guard let colon = rest.firstIndex(of: ":"), let id = Int64(rest[..<colon]) else {
                throw LivyProblem(reason: "create line without a session id")
            }
            let request = CreateRequest(String(rest[rest.index(after: colon)...]))
            append(lineNumber, at, .create, type: interactive ? "interactive" : "batch", sessionID: id, request: request)
        } else if m.hasPrefix("Interactive session ") || m.hasPrefix("Batch session ") {
            // Interactive session N created [appid: …, owner: …, proxyUser: Some(x), state: …, kind: …, info: …]
            let interactive = m.hasPrefix("Interactive")
            let rest = m.dropFirst(interactive ? 20 : 14)
            guard let space = rest.firstIndex(of: " "), let id = Int64(rest[..<space]),
                rest[space...].hasPrefix(" created [")
            else { return }
            var request = CreateRequest("")
            let fields = CreateRequest.fields(String(rest[rest.index(space, offsetBy: 10)...]).trimmingSuffix("]"),
                                              keys: ["appid", "owner", "proxyUser", "state", "kind", "info"])
            request.owner = fields["owner"].flatMap(CreateRequest.nullable)
            request.proxyUser = fields["proxyUser"].flatMap(CreateRequest.option)
            request.kind = fields["kind"]
            let app = fields["appid"].flatMap(CreateRequest.nullable)
            append(lineNumber, at, .ready, type: interactive ? "interactive" : "batch", sessionID: id, appID: app, request: request,
                   detail: fields["state"])
        } else if m.hasPrefix("Deleting ") {
            // 0.7/0.8 `Deleting session N`; 0.9 `Deleting InteractiveSession N`; idle-timeout and purge reasons after it.
            let (type, id, tail) = try Self.sessionReference(m.dropFirst(9))
            if tail.hasPrefix(" because it was inactive for more than ") {
                append(lineNumber, at, .idleTimeout, type: type, sessionID: id, detail: String(tail.dropFirst(39)).trimmingSuffix("."))
            } else if tail.hasPrefix(" because it finished before ") {
                append(lineNumber, at, .finishedPurge, type: type, sessionID: id, detail: String(tail.dropFirst(28)).trimmingSuffix("."))
            } else {
                append(lineNumber, at, .deleting, type: type, sessionID: id)
            }
        } else if m.hasPrefix("Deleted ") {
            let (type, id, _) = try Self.sessionReference(m.dropFirst(8))
            append(lineNumber, at, .deleted, type: type, sessionID: id)
        } else if m.hasPrefix("Stopping ") {
            let (type, id, _) = try Self.sessionReference(m.dropFirst(9))
            append(lineNumber, at, .stopping, type: type, sessionID: id)
        } else if m.hasPrefix("Stopped ") {
            let (type, id, _) = try Self.sessionReference(m.dropFirst(8))
            append(lineNumber, at, .stopped, type: type, sessionID: id)
        } else if m.hasPrefix("Session "), let r = m.byteRange(of: " expired. Last heartbeat is at ") {
            guard let id = Int64(m[m.index(m.startIndex, offsetBy: 8)..<r.lowerBound]) else {
                throw LivyProblem(reason: "heartbeat line without a session id")
            }
            append(lineNumber, at, .heartbeatExpired, type: "interactive", sessionID: id, detail: String(m[r.upperBound...]).trimmingSuffix("."))
        } else if let r = m.byteRange(of: "No YARN application is found with tag ") {
            // … with tag livy-session-N-xxxxxxxx in 120 seconds. …
            let tag = m[r.upperBound...].prefix { $0 != " " && $0 != "." }
            let parts = tag.split(separator: "-")
            let type = parts.count >= 3 && parts[1] == "batch" ? "batch" : "interactive"
            let id = parts.count >= 3 ? Int64(parts[2]) : nil
            append(lineNumber, at, .appNotFound, type: type, sessionID: id, detail: String(tag))
        }
    }

    /// `session N…`, `InteractiveSession N…` or `BatchSession N…` → (type, id, the rest).
    static func sessionReference(_ s: Substring) throws -> (String?, Int64, Substring) {
        var rest = s
        var type: String?
        for (prefix, t) in [("session ", nil), ("InteractiveSession ", "interactive"), ("BatchSession ", "batch")] as [(String, String?)] {
            if rest.hasPrefix(prefix) {
                rest = rest.dropFirst(prefix.count)
                type = t
                let digits = rest.prefix { $0.isASCII && $0.isNumber }
                guard let id = Int64(digits) else { break }
                return (type, id, rest.dropFirst(digits.count))
            }
        }
        throw LivyProblem(reason: "no session id in '\(s.prefix(60))'")
    }

    /// ASCII letters, digits and `_`: the characters of an application id.
    static func isIDByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }

    private mutating func append(
        _ line: Int, _ at: Int64, _ event: Event, type: String? = nil, sessionID: Int64? = nil,
        appID: String? = nil, request: CreateRequest? = nil, detail: String? = nil
    ) {
        let r = request
        events.append(line: line, [
            .optionalText(context.input.clusterID), .text(UTCTime.iso8601(millis: at)), .text(event.rawValue),
            .optionalText(type), .optionalInteger(sessionID), .optionalText(appID),
            .optionalText(r?.owner), .optionalText(r?.proxyUser), .optionalText(r?.kind),
            .optionalText(r?.driverMemory), .optionalInteger(r?.driverCores), .optionalText(r?.executorMemory),
            .optionalInteger(r?.executorCores), .optionalInteger(r?.numExecutors), .optionalText(r?.queue),
            .optionalText(r?.name), .optionalText(r?.confJSON), .optionalText(detail),
        ])
        tally.produced()
    }

    public var heldRows: Int { events.rowCount }

    public mutating func takeRows() -> [TableBatch] {
        let eventsRows = events.take()
        return [eventsRows].filter { $0.rowCount > 0 }
    }

    public mutating func finish() -> ParsedFile {
        tally.finish(batches: [events])
    }
}

/// The owner and request of a Livy create line (`CreateInteractiveRequest.toString`, §1.3):
/// `[owner: X, request: [kind: pyspark, proxyUser: Some(bob), driverMemory: 2g, …, conf: k -> v,k2 -> v2, heartbeatTimeoutInSecond: 0]]`.
struct CreateRequest {
    var owner: String?
    var proxyUser: String?
    var kind: String?
    var driverMemory: String?
    var driverCores: Int64?
    var executorMemory: String?
    var executorCores: Int64?
    var numExecutors: Int64?
    var queue: String?
    var name: String?
    /// Conf as a JSON object, secret-looking values replaced by `***`.
    var confJSON: String?

    /// Keys of `CreateInteractiveRequest.toString` and `CreateBatchRequest.toString`.
    static let requestKeys = [
        "kind", "proxyUser", "file", "className", "args", "jars", "pyFiles", "files", "archives",
        "driverMemory", "driverCores", "executorMemory", "executorCores", "numExecutors", "queue",
        "name", "conf", "heartbeatTimeoutInSecond", "ttl", "idleTimeout",
    ]

    init(_ text: String) {
        guard !text.isEmpty else { return }
        // ` [owner: X, request: [ … ]]`
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        if body.hasPrefix("[") { body = body.dropFirst() }
        if body.hasSuffix("]]") { body = body.dropLast(2) } else if body.hasSuffix("]") { body = body.dropLast() }
        if body.hasPrefix("owner: "), let r = body.byteRange(of: ", request: [") {
            owner = Self.nullable(String(body[body.index(body.startIndex, offsetBy: 7)..<r.lowerBound]))
            body = body[r.upperBound...]
        }
        let f = Self.fields(String(body), keys: Self.requestKeys)
        kind = f["kind"]
        proxyUser = f["proxyUser"].flatMap(Self.option)
        driverMemory = f["driverMemory"]
        driverCores = f["driverCores"].flatMap { Int64($0) }
        executorMemory = f["executorMemory"]
        executorCores = f["executorCores"].flatMap { Int64($0) }
        numExecutors = f["numExecutors"].flatMap { Int64($0) }
        queue = f["queue"]
        name = f["name"]
        if let conf = f["conf"] { confJSON = JSONText.object(Redaction.confPairs(conf)) }
    }

    /// Splits `k1: v1, k2: v2, …` on the known keys only, so values may hold `, ` themselves.
    static func fields(_ text: String, keys: [String]) -> [String: String] {
        var starts: [(String.Index, String.Index, String)] = []  // (key start, value start, key)
        for key in keys {
            var search = text.startIndex
            while let r = text.byteRange(of: key + ": ", from: search) {
                let atStart = r.lowerBound == text.startIndex
                let afterComma = !atStart && text[..<r.lowerBound].hasSuffix(", ")
                if atStart || afterComma {
                    starts.append((atStart ? r.lowerBound : text.index(r.lowerBound, offsetBy: -2), r.upperBound, key))
                    break
                }
                search = r.upperBound
            }
        }
        starts.sort { $0.0 < $1.0 }
        var out: [String: String] = [:]
        for (i, s) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1].0 : text.endIndex
            guard s.1 <= end else { continue }
            var value = String(text[s.1..<end])
            if value.hasSuffix(", ") { value.removeLast(2) } else if value.hasSuffix(",") { value.removeLast() }
            out[s.2] = value
        }
        return out
    }

    /// `Some(x)` → x; `None` → nil.
    static func option(_ s: String) -> String? {
        if s.hasPrefix("Some(") && s.hasSuffix(")") { return String(s.dropFirst(5).dropLast()) }
        return nil
    }

    /// The literal `null` → nil.
    static func nullable(_ s: String) -> String? { s == "null" || s.isEmpty ? nil : s }
}

/// Keeps secrets out of the ledger: Livy logs a session's `conf` verbatim (§1.3).
public enum Redaction {
    /// Key words that mark a conf value as secret (SPEC §7), matched case-insensitively.
    static let secretWords = ["password", "secret", "token", "credential", "key"]

    public static func isSecret(key: String) -> Bool {
        let k = key.lowercased()
        return secretWords.contains { k.contains($0) }
    }

    /// `k1 -> v1,k2 -> v2` → pairs, secret values replaced by `***`. A piece without ` -> `
    /// belongs to the previous value (values such as package lists hold commas).
    static func confPairs(_ conf: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for piece in conf.split(separator: ",", omittingEmptySubsequences: false) {
            if let r = piece.byteRange(of: " -> ") {
                pairs.append((String(piece[..<r.lowerBound]), String(piece[r.upperBound...])))
            } else if let last = pairs.popLast() {
                pairs.append((last.0, last.1 + "," + piece))
            }
        }
        return pairs.map { isSecret(key: $0.0) ? ($0.0, "***") : $0 }
    }

    /// A JSON value with the values under secret-looking keys replaced by `***`, at any depth.
    public static func redact(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, v) in object { out[k] = isSecret(key: k) ? "***" : redact(v) }
            return out
        }
        if let array = value as? [Any] { return array.map(redact) }
        return value
    }

    /// A create message with the values of secret-looking conf keys replaced (for excerpts).
    public static func redactConf(in message: String) -> String {
        guard let start = message.byteRange(of: "conf: ") else { return message }
        let tail = message[start.upperBound...]
        let end = tail.byteRange(of: ", heartbeatTimeoutInSecond: ")?.lowerBound ?? tail.endIndex
        let redacted = confPairs(String(tail[..<end])).map { "\($0.0) -> \($0.1)" }.joined(separator: ",")
        return String(message[..<start.upperBound]) + redacted + String(tail[end...])
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
