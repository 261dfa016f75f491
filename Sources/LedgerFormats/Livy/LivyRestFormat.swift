import Foundation
import LedgerModel

/// `livy-rest`: saved JSON answers of Livy's REST API (formats.md §1.8), as Livy 0.5–0.9 write them
/// and as HDInsight's gateway and Knox pass them on (unchanged).
///
/// The answers it reads:
/// - `GET /sessions`, `GET /batches` → `{"from": 0, "total": n, "sessions": [Session or Batch…]}`
/// - `GET /sessions/N`, `POST /sessions` → one Session object (`id, name, appId, owner,
///   proxyUser, state, kind, appInfo, log`, more from 0.8); `GET /batches/N`, `POST /batches` →
///   one Batch object (the same without `kind`); read like a list of one
/// - the older shapes HDInsight's documentation shows (`{"id": 0, "state": "starting", "log": []}`),
///   and `GET /sessions/N/state` → `{"id": N, "state": "idle"}`
/// - `GET /sessions/N/statements` → `{"total_statements": n, "statements": [Statement…]}`, and one
///   Statement (`POST /sessions/N/statements`, `GET /sessions/N/statements/M`)
/// - `GET /sessions/N/log` → `{"id", "from", "total", "log": […]}`: read, nothing kept (log lines
///   may hold secrets)
///
/// Sessions go to `livy_rest_session`, typed: an object with `kind` is an interactive session
/// (0.5–0.9 always write it, batches never do); else the file name says (`batches`/`sessions`);
/// else a view with `appInfo` is a batch; else the type is not known. Statements (`id`, `state`,
/// `started` / `completed` epoch ms, 0 until set) go to `livy_statement`, the second record of
/// user activity after the request log. A statement does not say its session: the id is read
/// from the file name (`sessions-3-statements.json`, `session_3_statements.json`,
/// `…/sessions/3/statements.json`). Statement code and output are never stored: code may hold
/// secrets.
///
/// The document is parsed whole (Foundation's JSON parser): these answers are small, and files
/// over ``maxDocumentBytes`` are rejected rather than held in memory.
public struct LivyRestFormat: LogFormat {
    public static let name = "livy-rest"
    public static let summary =
        "Saved Livy REST answers (JSON): session states and statements with start and completion times"
    public static let maxDocumentBytes = 64 << 20
    /// 2: single objects of every shape read; sessions typed (`session_type`).
    public static let revision = 2

    public static func recognizes(_ head: HeadSample) -> Bool {
        let text = head.lines.prefix(50).joined(separator: "\n")
        guard text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\u{FEFF}" }).first == "{" else {
            return false
        }
        if text.contains("\"total_statements\"") { return true }
        if text.contains("\"sessions\""), text.contains("\"total\""), text.contains("\"from\"") { return true }
        if text.contains("\"appInfo\"") && text.contains("\"state\"") { return true }
        // One statement: its code, state and output or progress.
        if text.contains("\"code\"") && text.contains("\"state\"")
            && (text.contains("\"output\"") || text.contains("\"progress\""))
        {
            return true
        }
        // The small shapes (old and HDInsight views, /state, /log) are told by their whole key set.
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            integer(object["id"]) != nil
        else { return false }
        let keys = Set(object.keys)
        if keys.isSubset(of: ["id", "state", "log", "kind", "appId", "name", "owner", "proxyUser"]),
            let state = object["state"] as? String, states.contains(state)
        {
            return true
        }
        return keys == ["id", "from", "total", "log"]
    }

    /// Livy's session and batch states (formats.md §1.4).
    static let states: Set<String> = [
        "not_started", "starting", "recovering", "idle", "running", "busy", "shutting_down", "error", "dead", "killed",
        "success",
    ]

    /// The staging tables this format fills.
    public static var tables: [StagingTable] { [sessionTable, statementTable] }

    public static let sessionTable = StagingTable(
        "livy_rest_session",
        columns: ["cluster_id", "session_id", "name", "app_id", "owner", "proxy_user", "state", "kind", "session_type"])
    public static let statementTable = StagingTable(
        "livy_statement", columns: ["cluster_id", "session_id", "statement_id", "state", "started", "completed"])

    private var context: ParseContext
    private var tally = ParseTally()
    private var document = DocumentBuffer(limit: maxDocumentBytes)

    public init(context: ParseContext) {
        self.context = context
    }

    public static let inputMode = InputMode.bytes

    public mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer) {}

    public mutating func consume(chunk bytes: UnsafeRawBufferPointer) {
        document.append(bytes)
    }

    public mutating func finish() -> ParsedFile {
        var sessions = TableBatch(Self.sessionTable)
        var statements = TableBatch(Self.statementTable)
        tally.sawRecord()
        if document.tooLarge {
            tally.reject(
                line: 1, reason: "livy-rest: document larger than \(Self.maxDocumentBytes >> 20) MiB", excerpt: "")
            return tally.finish(batches: [])
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(document.bytes))
        } catch {
            tally.reject(
                line: 1, reason: "livy-rest: not valid JSON (\(Self.describe(error)))",
                excerpt: String(decoding: document.bytes.prefix(200), as: UTF8.self))
            return tally.finish(batches: [])
        }
        guard let root = object as? [String: Any] else {
            tally.reject(line: 1, reason: "livy-rest: the document is not a JSON object", excerpt: "")
            return tally.finish(batches: [])
        }
        let singleStatement = root["code"] != nil && root["sessions"] == nil && root["statements"] == nil
        if root["statements"] is [Any] || singleStatement {
            let list: [Any] = singleStatement ? [root] : root["statements"] as! [Any]
            guard let sessionID = Self.sessionID(fromPath: context.path) else {
                tally.reject(
                    line: 1,
                    reason:
                        "livy-rest: a statements answer whose file name does not say the session (name it sessions-N-statements.json)",
                    excerpt: "")
                return tally.finish(batches: [])
            }
            for (index, item) in list.enumerated() {
                guard let s = item as? [String: Any], let id = Self.integer(s["id"]) else {
                    tally.reject(line: index + 1, reason: "livy-rest: statement \(index + 1) has no id", excerpt: "")
                    continue
                }
                let started = Self.integer(s["started"]).flatMap { $0 > 0 ? $0 : nil }
                let completed = Self.integer(s["completed"]).flatMap { $0 > 0 ? $0 : nil }
                for t in [started, completed].compactMap({ $0 }) { tally.sawEvent(atMillis: t) }
                statements.append(
                    line: index + 1,
                    [
                        .optionalText(context.input.clusterID), .integer(sessionID), .integer(id),
                        .optionalText(s["state"] as? String), .optionalText(started.map(UTCTime.iso8601(millis:))),
                        .optionalText(completed.map(UTCTime.iso8601(millis:))),
                    ])
                tally.produced()
            }
        } else if Set(root.keys) == ["id", "from", "total", "log"] {
            // A session's log lines: nothing to keep.
        } else {
            let list: [Any] = (root["sessions"] as? [Any]) ?? [root]
            let pathType = Self.sessionType(fromPath: context.path)
            for (index, item) in list.enumerated() {
                guard let s = item as? [String: Any], let id = Self.integer(s["id"]) else {
                    tally.reject(line: index + 1, reason: "livy-rest: session \(index + 1) has no id", excerpt: "")
                    continue
                }
                sessions.append(
                    line: index + 1,
                    [
                        .optionalText(context.input.clusterID), .integer(id), .optionalText(s["name"] as? String),
                        .optionalText(s["appId"] as? String), .optionalText(s["owner"] as? String),
                        .optionalText(s["proxyUser"] as? String), .optionalText(s["state"] as? String),
                        .optionalText(s["kind"] as? String),
                        .optionalText(
                            s["kind"] != nil ? "interactive" : pathType ?? (s["appInfo"] != nil ? "batch" : nil)),
                    ])
                tally.produced()
            }
        }
        return tally.finish(batches: [sessions, statements])
    }

    /// The session id in a file name such as `sessions-3-statements.json`,
    /// `…/sessions/3/statements.json` or `…/Sessions/3/statements/7.json`.
    static func sessionID(fromPath path: String) -> Int64? {
        let parts = path.split(separator: "/").suffix(4).joined(separator: "/").lowercased()
        let tokens = parts.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        for (i, token) in tokens.enumerated() where token == "sessions" || token == "session" {
            if i + 1 < tokens.count, let id = Int64(tokens[i + 1]) { return id }
        }
        return nil
    }

    /// `batch` or `interactive` when the file's name or folders say `batches` or `sessions`.
    static func sessionType(fromPath path: String) -> String? {
        let tokens = path.split(separator: "/").suffix(4).joined(separator: "/").lowercased()
            .split(whereSeparator: { !($0.isLetter || $0.isNumber) })
        if tokens.contains(where: { $0 == "batches" || $0 == "batch" }) { return "batch" }
        if tokens.contains(where: { $0 == "sessions" || $0 == "session" }) { return "interactive" }
        return nil
    }

    static func integer(_ v: Any?) -> Int64? {
        switch v {
        case let i as Int: return Int64(i)
        case let i as Int64: return i
        case let d as Double where d.rounded() == d && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}
