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
    /// 2: 0.7/0.8 `Deleting/Deleted session N` typed by the manager's logger; a create's own
    /// timeout (`ttl`, `idleTimeout`) kept.
    public static let revision = 2

    /// Logger names (last dotted component) that only a Livy server writes.
    ///
    /// `LineBufferedStream` first: the forwarded spark-submit output is most lines of a busy
    /// server's log.
    static let livyLoggers: [String] = [
        "LineBufferedStream", "LivyServer", "LivyServer$", "WebServer", "InteractiveSessionManager",
        "BatchSessionManager",
        "InteractiveSession", "InteractiveSession$", "BatchSession", "BatchSession$", "SparkYarnApp",
        "SparkYarnApp$", "StateStore$", "ZooKeeperStateStore", "FileSystemStateStore",
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

    /// The staging tables this format fills.
    public static var tables: [StagingTable] { [eventTable] }

    /// The `livy_event` staging table, in column order.
    public static let eventTable = StagingTable(
        "livy_event",
        columns: [
            "cluster_id", "at", "event", "session_type", "session_id", "app_id", "owner", "proxy_user",
            "kind", "driver_memory", "driver_cores", "executor_memory", "executor_cores", "num_executors",
            "queue", "name", "conf", "detail",
        ])

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
    private var events = TableBatch(eventTable)
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
            guard let hit = bytes.firstOffset(of: "Submitted application application_", in: line.message) else {
                return
            }
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
            let request = CreateRequest(m, from: rest.index(after: colon))
            append(
                lineNumber, at, .create, type: interactive ? "interactive" : "batch", sessionID: id, request: request,
                detail: request.ownTimeout)
        } else if m.hasPrefix("Interactive session ") || m.hasPrefix("Batch session ") {
            // Interactive session N created [appid: …, owner: …, proxyUser: Some(x), state: …, kind: …, info: …]
            let interactive = m.hasPrefix("Interactive")
            let rest = m.dropFirst(interactive ? 20 : 14)
            guard let space = rest.firstIndex(of: " "), let id = Int64(rest[..<space]),
                rest[space...].hasPrefix(" created [")
            else { return }
            let ready = CreateRequest.ready(m, from: rest.index(space, offsetBy: 10))
            append(
                lineNumber, at, .ready, type: interactive ? "interactive" : "batch", sessionID: id, appID: ready.appID,
                request: ready.request, detail: ready.state)
        } else if m.hasPrefix("Deleting ") {
            // 0.7/0.8 `Deleting session N`; 0.9 `Deleting InteractiveSession N`; idle-timeout and purge reasons after it.
            let (named, id, tail) = try Self.sessionReference(m.dropFirst(9))
            let type = named ?? Self.managerType(logger)
            if tail.hasPrefix(" because it was inactive for more than ") {
                append(
                    lineNumber, at, .idleTimeout, type: type, sessionID: id,
                    detail: String(tail.dropFirst(39)).trimmingSuffix("."))
            } else if tail.hasPrefix(" because it finished before ") {
                append(
                    lineNumber, at, .finishedPurge, type: type, sessionID: id,
                    detail: String(tail.dropFirst(28)).trimmingSuffix("."))
            } else {
                append(lineNumber, at, .deleting, type: type, sessionID: id)
            }
        } else if m.hasPrefix("Deleted ") {
            let (named, id, _) = try Self.sessionReference(m.dropFirst(8))
            append(lineNumber, at, .deleted, type: named ?? Self.managerType(logger), sessionID: id)
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
            append(
                lineNumber, at, .heartbeatExpired, type: "interactive", sessionID: id,
                detail: String(m[r.upperBound...]).trimmingSuffix("."))
        } else if let r = m.byteRange(of: "No YARN application is found with tag ") {
            // … with tag livy-session-N-xxxxxxxx in 120 seconds. …
            let tag = m[r.upperBound...].prefix { $0 != " " && $0 != "." }
            let parts = tag.split(separator: "-")
            let type = parts.count >= 3 && parts[1] == "batch" ? "batch" : "interactive"
            let id = parts.count >= 3 ? Int64(parts[2]) : nil
            append(lineNumber, at, .appNotFound, type: type, sessionID: id, detail: String(tag))
        }
    }

    /// The session type a session manager's logger stands for.
    ///
    /// 0.7/0.8 name a session only as `session N` in `Deleting`/`Deleted`, and interactive and
    /// batch ids are counted apart, so the logger (`InteractiveSessionManager` or
    /// `BatchSessionManager`) is what tells them apart.
    static func managerType(_ logger: String) -> String? {
        switch logger {
        case "InteractiveSessionManager": "interactive"
        case "BatchSessionManager": "batch"
        default: nil
        }
    }

    /// `session N…`, `InteractiveSession N…` or `BatchSession N…` → (type, id, the rest).
    static func sessionReference(_ s: Substring) throws -> (String?, Int64, Substring) {
        // Read on the bytes when that is sure to read what the Characters say (every delete and
        // stop line asks: benchmarks/NOTES.md, `sessionReference`).
        if let quick = s.utf8.withContiguousStorageIfAvailable(quickSessionReference), let (type, id, end) = quick {
            return (type, id, s[s.utf8.index(s.startIndex, offsetBy: end)...])
        }
        var rest = s
        var type: String?
        for (prefix, t) in [("session ", nil), ("InteractiveSession ", "interactive"), ("BatchSession ", "batch")]
            as [(String, String?)]
        {
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

    private static let sessionPrefixes: [(bytes: [UInt8], type: String?)] = [
        (Array("session ".utf8), nil), (Array("InteractiveSession ".utf8), "interactive"),
        (Array("BatchSession ".utf8), "batch"),
    ]

    /// ``sessionReference(_:)`` on UTF-8 bytes: (type, id, where the rest starts), or nil when the
    /// bytes alone cannot say it (the Characters decide then).
    ///
    /// A match is sure when digits follow the prefix and an ASCII byte (or the end) follows them:
    /// an ASCII byte begins a Character of its own, so the prefix and each digit are whole
    /// Characters. No match, no digits, a number too large, or a non-ASCII byte after the
    /// digits: nil.
    static func quickSessionReference(_ u: UnsafeBufferPointer<UInt8>) -> (String?, Int64, Int)? {
        for (prefix, type) in sessionPrefixes where u.count > prefix.count && u.starts(with: prefix) {
            var i = prefix.count
            var id: Int64 = 0
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                let (times, o1) = id.multipliedReportingOverflow(by: 10)
                let (plus, o2) = times.addingReportingOverflow(Int64(u[i] - 0x30))
                guard !o1, !o2 else { return nil }
                id = plus
                i += 1
            }
            guard i > prefix.count, i == u.count || u[i] < 0x80 else { return nil }
            return (type, id, i)
        }
        return nil
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
        events.append(
            line: line,
            [
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

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
