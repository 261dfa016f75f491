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
    /// 2: 0.7/0.8 `Deleting/Deleted session N` typed by the manager's logger; a create's own
    /// timeout (`ttl`, `idleTimeout`) kept.
    public static let revision = 2

    /// Logger names (last dotted component) that only a Livy server writes. `LineBufferedStream`
    /// first: the forwarded spark-submit output is most lines of a busy server's log.
    static let livyLoggers: [String] = [
        "LineBufferedStream", "LivyServer", "LivyServer$", "WebServer", "InteractiveSessionManager", "BatchSessionManager",
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
            let request = CreateRequest(m, from: rest.index(after: colon))
            append(lineNumber, at, .create, type: interactive ? "interactive" : "batch", sessionID: id, request: request,
                   detail: request.ownTimeout)
        } else if m.hasPrefix("Interactive session ") || m.hasPrefix("Batch session ") {
            // Interactive session N created [appid: …, owner: …, proxyUser: Some(x), state: …, kind: …, info: …]
            let interactive = m.hasPrefix("Interactive")
            let rest = m.dropFirst(interactive ? 20 : 14)
            guard let space = rest.firstIndex(of: " "), let id = Int64(rest[..<space]),
                rest[space...].hasPrefix(" created [")
            else { return }
            let ready = CreateRequest.ready(m, from: rest.index(space, offsetBy: 10))
            append(lineNumber, at, .ready, type: interactive ? "interactive" : "batch", sessionID: id, appID: ready.appID,
                   request: ready.request, detail: ready.state)
        } else if m.hasPrefix("Deleting ") {
            // 0.7/0.8 `Deleting session N`; 0.9 `Deleting InteractiveSession N`; idle-timeout and purge reasons after it.
            let (named, id, tail) = try Self.sessionReference(m.dropFirst(9))
            let type = named ?? Self.managerType(logger)
            if tail.hasPrefix(" because it was inactive for more than ") {
                append(lineNumber, at, .idleTimeout, type: type, sessionID: id, detail: String(tail.dropFirst(39)).trimmingSuffix("."))
            } else if tail.hasPrefix(" because it finished before ") {
                append(lineNumber, at, .finishedPurge, type: type, sessionID: id, detail: String(tail.dropFirst(28)).trimmingSuffix("."))
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

    /// The session type a session manager's logger stands for. 0.7/0.8 name a session only as
    /// `session N` in `Deleting`/`Deleted`, and interactive and batch ids are counted apart, so
    /// the logger (`InteractiveSessionManager` or `BatchSessionManager`) is what tells them apart.
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

    private static let sessionPrefixes: [(bytes: [UInt8], type: String?)] = [
        (Array("session ".utf8), nil), (Array("InteractiveSession ".utf8), "interactive"), (Array("BatchSession ".utf8), "batch"),
    ]

    /// ``sessionReference(_:)`` on UTF-8 bytes: (type, id, where the rest starts), or nil when
    /// the bytes alone cannot say it (the Characters decide then). A match is sure when digits
    /// follow the prefix and an ASCII byte (or the end) follows them: an ASCII byte begins a
    /// Character of its own, so the prefix and each digit are whole Characters. No match, no
    /// digits, a number too large, or a non-ASCII byte after the digits: nil.
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
///
/// Read on the message's UTF-8 bytes, not with Strings (Foundation trimming, a byte search per
/// known key, a dictionary: benchmarks/NOTES.md, `CreateRequest`). The bytes are
/// those of the message String, so they are valid UTF-8; where the String reading compared
/// Characters (brackets, separators, `Some(`), the byte reading asks whether the token is a
/// Character of its own (``UnsafeRawBufferPointer/isCharacterBoundary(_:in:)``), and it trims
/// through Foundation when an end is not ASCII, so that it answers exactly as before.
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
    /// The session's own idle timeout as Livy wrote it (0.9 `idleTimeout`, else 0.8 `ttl`, e.g. `2h`).
    var ownTimeout: String?
    /// Conf as a JSON object, secret-looking values replaced by `***`.
    var confJSON: String?

    /// Keys of `CreateInteractiveRequest.toString` and `CreateBatchRequest.toString`; their
    /// values are found at these places in ``fields(_:_:keys:)``'s answer.
    enum RequestKey: Int, CaseIterable {
        case kind, proxyUser, file, className, args, jars, pyFiles, files, archives, driverMemory, driverCores,
            executorMemory, executorCores, numExecutors, queue, name, conf, heartbeatTimeoutInSecond, ttl, idleTimeout
    }

    /// Keys of the `Interactive session N created [appid: …, …]` message.
    enum ReadyKey: Int, CaseIterable {
        case appid, owner, proxyUser, state, kind, info
    }

    /// `key: ` for every case of `Key`, in order.
    static func needles<Key: CaseIterable>(_: Key.Type) -> [[UInt8]] { Key.allCases.map { Array("\($0): ".utf8) } }

    static let requestKeys = needles(RequestKey.self)
    static let readyKeys = needles(ReadyKey.self)
    private static let null = Array("null".utf8)

    init() {}

    /// The request in `m` after `start` (the text after `Creating … session N:`).
    init(_ m: String, from start: String.Index) {
        var m = m
        let offset = m.utf8.distance(from: m.utf8.startIndex, to: start)
        self = m.withUTF8 { CreateRequest(UnsafeRawBufferPointer($0), offset..<$0.count) }
    }

    /// The request in `text` of `b` (` [owner: X, request: [ … ]]`).
    init(_ b: UnsafeRawBufferPointer, _ text: Range<Int>) {
        switch b.trimmedWhitespace(text) {
        case .bytes(let body):
            self.init(trimmed: b, body)
        case .string(var body):
            self = body.withUTF8 { CreateRequest(trimmed: UnsafeRawBufferPointer($0), 0..<$0.count) }
        }
    }

    private init(trimmed b: UnsafeRawBufferPointer, _ text: Range<Int>) {
        var body = text
        if b.hasCharacterPrefix("[", in: body) { body = (body.lowerBound + 1)..<body.upperBound }
        if b.hasCharacterSuffix("]]", in: body) {
            body = body.lowerBound..<(body.upperBound - 2)
        } else if b.hasCharacterSuffix("]", in: body) {
            body = body.lowerBound..<(body.upperBound - 1)
        }
        if b.hasCharacterPrefix("owner: ", in: body), let r = b.firstOffset(of: ", request: [", in: body) {
            owner = Self.nullable(b, (body.lowerBound + 7)..<r)
            body = (r + 12)..<body.upperBound
        }
        let f = Self.fields(b, body, keys: Self.requestKeys)
        func value(_ key: RequestKey) -> String? { f[key.rawValue].map(b.string) }
        func integer(_ key: RequestKey) -> Int64? { f[key.rawValue].flatMap { Int64(b.string($0)) } }
        kind = value(.kind)
        proxyUser = Self.option(b, f[RequestKey.proxyUser.rawValue])
        driverMemory = value(.driverMemory)
        driverCores = integer(.driverCores)
        executorMemory = value(.executorMemory)
        executorCores = integer(.executorCores)
        numExecutors = integer(.numExecutors)
        queue = value(.queue)
        name = value(.name)
        ownTimeout = value(.idleTimeout) ?? value(.ttl)
        if let conf = f[RequestKey.conf.rawValue] { confJSON = JSONText.object(Redaction.confPairs(b, conf)) }
    }

    /// Owner, proxy user and kind, the application id and the state of a ready message in `m`
    /// after `start` (after `Interactive session N created [`).
    static func ready(_ m: String, from start: String.Index) -> (request: CreateRequest, appID: String?, state: String?) {
        var m = m
        let offset = m.utf8.distance(from: m.utf8.startIndex, to: start)
        return m.withUTF8 { u in
            let b = UnsafeRawBufferPointer(u)
            var text = offset..<b.count
            if b.hasCharacterSuffix("]", in: text) { text = text.lowerBound..<(text.upperBound - 1) }
            let f = fields(b, text, keys: readyKeys)
            var request = CreateRequest()
            request.owner = nullable(b, f[ReadyKey.owner.rawValue])
            request.proxyUser = option(b, f[ReadyKey.proxyUser.rawValue])
            request.kind = f[ReadyKey.kind.rawValue].map(b.string)
            return (request, nullable(b, f[ReadyKey.appid.rawValue]), f[ReadyKey.state.rawValue].map(b.string))
        }
    }

    /// Splits `k1: v1, k2: v2, …` in `text` on the known keys only, so values may hold `, `
    /// themselves: a key counts at the start or after `, ` (its first such place), and its value
    /// runs to the next counted key's `, `, less a trailing `, ` or `,`. The answer has a value
    /// range, or nil, for each of `keys` (`key: ` bytes, none a prefix of another), in order.
    static func fields(_ b: UnsafeRawBufferPointer, _ text: Range<Int>, keys: [[UInt8]]) -> [Range<Int>?] {
        // One pass over the places a key may start, left to right, instead of a search per key:
        // the first place found for a key is its first occurrence that counts.
        var entries: [(start: Int, value: Int, key: Int)] = []  // entry start (its `, `), value start
        var taken = [Bool](repeating: false, count: keys.count)
        var entry = text.lowerBound
        var at = text.lowerBound
        while true {
            for (k, key) in keys.enumerated() where at + key.count <= text.upperBound && b.equals(key, in: at..<(at + key.count)) {
                if !taken[k] {
                    taken[k] = true
                    entries.append((entry, at + key.count, k))
                }
                break
            }
            // The next `, ` that is two Characters (a `,` after a prepended mark is not a comma).
            var search = at
            var next: Int?
            while let comma = b.firstOffset(of: ", ", in: search..<text.upperBound) {
                if b.isCharacterBoundary(comma, in: text) {
                    next = comma
                    break
                }
                search = comma + 2
            }
            guard let next else { break }
            entry = next
            at = next + 2
        }
        var values = [Range<Int>?](repeating: nil, count: keys.count)
        for (i, e) in entries.enumerated() {
            // The next entry's `, ` is after this key's `: ` (keys hold no comma).
            var value = e.value..<(i + 1 < entries.count ? entries[i + 1].start : text.upperBound)
            if b.hasCharacterSuffix(", ", in: value) {
                value = value.lowerBound..<(value.upperBound - 2)
            } else if b.hasCharacterSuffix(",", in: value) {
                value = value.lowerBound..<(value.upperBound - 1)
            }
            values[e.key] = value
        }
        return values
    }

    /// `Some(x)` → x; `None` (or no value) → nil.
    static func option(_ b: UnsafeRawBufferPointer, _ value: Range<Int>?) -> String? {
        guard let value, b.hasCharacterPrefix("Some(", in: value), b.hasCharacterSuffix(")", in: value) else { return nil }
        return b.string((value.lowerBound + 5)..<(value.upperBound - 1))
    }

    /// The literal `null`, an empty value or none → nil.
    static func nullable(_ b: UnsafeRawBufferPointer, _ value: Range<Int>?) -> String? {
        guard let value, !value.isEmpty, !b.equals(null, in: value) else { return nil }
        return b.string(value)
    }
}

/// Keeps secrets out of the ledger: Livy logs a session's `conf` verbatim (§1.3).
public enum Redaction {
    /// Key words that mark a conf value as secret (SPEC §7), matched case-insensitively.
    static let secretWords = ["password", "secret", "token", "credential", "key"]
    private static let secretWordBytes = secretWords.map { Array($0.utf8) }

    public static func isSecret(key: String) -> Bool {
        // An ASCII key on its bytes (below), not `lowercased()` and Foundation's `contains`
        // (through CFString): a CloudTrail record has dozens of keys (benchmarks/NOTES.md,
        // `Redaction.isSecret`).
        var bytes = key
        if let ascii = bytes.withUTF8({ u -> Bool? in
            let b = UnsafeRawBufferPointer(u)
            return b.allSatisfy({ $0 < 0x80 }) ? isSecret(b, 0..<b.count) : nil
        }) {
            return ascii
        }
        let k = key.lowercased()
        return secretWords.contains { k.contains($0) }
    }

    /// ``isSecret(key:)`` for the key in `key` of `b`. An ASCII key is searched here, folding
    /// `A`–`Z` (the words are lowercase letters, so `c | 0x20` folds exactly); any other goes
    /// through `lowercased()` and the String search, which fold more than ASCII (the Kelvin
    /// sign is a `k`) and match whole Characters only.
    static func isSecret(_ b: UnsafeRawBufferPointer, _ key: Range<Int>) -> Bool {
        guard key.allSatisfy({ b[$0] < 0x80 }) else { return isSecret(key: b.string(key)) }
        return secretWordBytes.contains { word in
            guard key.count >= word.count else { return false }
            return (key.lowerBound...(key.upperBound - word.count)).contains { at in
                word.indices.allSatisfy { b[at + $0] | 0x20 == word[$0] }
            }
        }
    }

    /// `k1 -> v1,k2 -> v2` in `conf` of `b` → pairs, secret values replaced by `***`. A piece
    /// without ` -> ` belongs to the previous value (values such as package lists hold commas).
    /// Pieces are split at commas that are Characters of their own, as `split` on the String did.
    static func confPairs(_ b: UnsafeRawBufferPointer, _ conf: Range<Int>) -> [(String, String)] {
        var pairs: [(key: Range<Int>, value: Range<Int>)] = []
        var start = conf.lowerBound
        while true {
            var end = conf.upperBound
            var search = start
            while let comma = b.firstOffset(of: ",", in: search..<conf.upperBound) {
                if b.isCharacterBoundary(comma, in: conf) && b.isCharacterBoundary(comma + 1, in: conf) {
                    end = comma
                    break
                }
                search = comma + 1
            }
            if let arrow = b.firstOffset(of: " -> ", in: start..<end) {
                pairs.append((start..<arrow, (arrow + 4)..<end))
            } else if let last = pairs.indices.last {
                // The previous value, this comma and this piece are one run of bytes.
                pairs[last].value = pairs[last].value.lowerBound..<end
            }
            guard end < conf.upperBound else { break }
            start = end + 1
        }
        return pairs.map { (b.string($0.key), isSecret(b, $0.key) ? "***" : b.string($0.value)) }
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
        var conf = String(tail[..<end])
        let pairs = conf.withUTF8 { confPairs(UnsafeRawBufferPointer($0), 0..<$0.count) }
        let redacted = pairs.map { "\($0.0) -> \($0.1)" }.joined(separator: ",")
        return String(message[..<start.upperBound]) + redacted + String(tail[end...])
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
