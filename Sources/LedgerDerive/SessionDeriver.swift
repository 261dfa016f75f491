import Foundation
import GRDB
import LedgerModel

/// Rebuilds `session` from `livy_event`, `livy_request`, `yarn_app` and `yarn_audit` (SPEC §4).
///
/// Per cluster, the Livy lifecycle lines are walked in time order. A session's identity is
/// (cluster, Livy server start, session id): ids restart from 0 when the server restarts without
/// recovery. Times are kept to the second, as Livy logs them, so that every duration is exactly
/// the difference of the times shown beside it.
///
/// The end-reason rules of SPEC §4 are applied in their order, reading "while the session had
/// not already finished" literally for every rule: a deletion or a timeout counts only if it
/// came before the session's YARN application ended (5 s tolerance for the two logs' clocks).
/// A session whose application finished on its own (the user's code stopped Spark) before
/// Livy deleted it gets `app_finished`, a reason the SPEC's list lacks.
enum SessionDeriver {
    /// Seconds of slack between the Livy log (second precision) and YARN (milliseconds).
    static let tolerance: Int64 = 5

    struct Build {
        var key = ""
        var clusterID = ""
        var serverStart: Int64?
        var id: Int64 = 0
        var type = "interactive"
        var kind: String?
        var owner: String?
        var proxyUser: String?
        var queue: String?
        var created: Int64 = 0
        var ready: Int64?
        var appID: String?
        var appLink: String?
        var driverMemory: String?
        var driverCores: Int64?
        var executorMemory: String?
        var executorCores: Int64?
        var numExecutors: Int64?
        var confExecutors: Int64?
        var idleLine: (Int64, String)?
        var purgeLine: Int64?
        var heartbeat: (Int64, String)?
        /// `Deleting …` (the deletion began) and `Deleted …` (it ended the session).
        var deletingLine: (Int64, String)?
        var deleteLine: (Int64, String)?
        var stopLine: (Int64, String)?
        var restart: (Int64, String)?
        var appNotFound: (Int64, String)?
        /// The next server start after this session's: no request after it belongs to it.
        var nextServerStart: Int64?
        var fileID: Int64 = 0
        var line: Int64 = 0
    }

    static func rebuild(_ db: Database, settings: DeriveSettings) throws {
        try db.execute(sql: "DELETE FROM session")
        let clusters = try Row.fetchAll(db, sql: "SELECT cluster_id, as_of FROM cluster ORDER BY cluster_id")
        let insert = try db.makeStatement(sql: """
            INSERT INTO session (session_key, cluster_id, server_started_at, livy_session_id, session_type,
              kind, owner, proxy_user, app_id, app_link, queue, created_at, ready_at, ended_at, end_reason,
              end_evidence, last_activity_at, activity_source, statements, duration_s, idle_tail_s,
              vcore_seconds, memory_mb_seconds, requested_vcores, requested_memory_mb, cost_basis,
              rate_effective, cost_usd, idle_cost_usd, abandoned, file_id, line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for cluster in clusters {
            let clusterID: String = cluster["cluster_id"]
            guard let asOfText: String = cluster["as_of"], let asOf = seconds(asOfText) else { continue }
            for build in try walk(db, clusterID: clusterID) {
                let s = try finish(db, build, asOf: asOf, settings: settings)
                try insert.execute(arguments: s)
            }
        }
    }

    /// Walks one cluster's Livy lines in time order into sessions.
    static func walk(_ db: Database, clusterID: String) throws -> [Build] {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT file_id, line, at, event, session_type, session_id, app_id, owner, proxy_user, kind,
                   driver_memory, driver_cores, executor_memory, executor_cores, num_executors, queue, conf, detail
            FROM livy_event WHERE cluster_id IS ? ORDER BY at, file_id, line
            """, arguments: [storedClusterID(clusterID)])
        var all: [Build] = []
        var active: [String: Int] = [:]  // "type/id" → index in all, for the current server run
        var carried: [String: Int] = [:]  // sessions alive when the server restarted
        var serverStart: Int64?
        var runOpening = false
        var keysUsed = Set<String>()
        while let r = try rows.next() {
            guard let at = seconds(r["at"] as String) else { continue }
            let event: String = r["event"]
            let evidence = "livy_event \(r["file_id"] as Int64):\(r["line"] as Int64)"
            let type = (r["session_type"] as String?) ?? "interactive"
            let sid: Int64? = r["session_id"]
            func index() -> Int? {
                guard let sid else { return nil }
                // 0.7/0.8 delete lines say "session N" without a type: interactive first.
                if r["session_type"] as String? == nil {
                    return active["interactive/\(sid)"] ?? active["batch/\(sid)"]
                }
                return active["\(type)/\(sid)"]
            }
            // A server run begins at its first start-up line: the "Recovered …" lines come
            // before "Starting server on …" (LivyServer.start builds the session managers first).
            func endRun() {
                guard !runOpening else { return }
                for (k, i) in active where all[i].stopLine == nil && all[i].deleteLine == nil {
                    if all[i].restart == nil { all[i].restart = (at, evidence) }
                    if all[i].nextServerStart == nil { all[i].nextServerStart = at }
                    carried[k] = i
                }
                active = [:]
            }
            switch event {
            case "server_stop":
                endRun()
            case "server_start":
                endRun()
                runOpening = false
                serverStart = at
            case "recovered":
                endRun()
                if !runOpening { serverStart = at }
                runOpening = true
                // Recovery keeps the sessions alive across the restart, with their ids.
                if let n = Int((r["detail"] as String?) ?? ""), n > 0 {
                    let recoveredType = type.hasPrefix("batch") ? "batch" : "interactive"
                    for (k, i) in carried where all[i].type == recoveredType {
                        all[i].restart = nil
                        all[i].nextServerStart = nil
                        active[k] = i
                    }
                }
            case "create":
                guard let sid else { continue }
                runOpening = false
                carried = [:]
                var b = Build()
                b.clusterID = clusterID
                b.serverStart = serverStart
                b.id = sid
                b.type = type
                b.created = at
                b.owner = (r["owner"] as String?).flatMap { $0 == "null" ? nil : $0 }
                b.proxyUser = r["proxy_user"]
                b.kind = r["kind"]
                b.queue = r["queue"]
                b.driverMemory = r["driver_memory"]
                b.driverCores = r["driver_cores"]
                b.executorMemory = r["executor_memory"]
                b.executorCores = r["executor_cores"]
                b.numExecutors = r["num_executors"]
                b.confExecutors = confExecutors(r["conf"])
                b.fileID = r["file_id"]
                b.line = r["line"]
                var key = "\(clusterID)/\(serverStart.map(iso) ?? "start-unknown")/\(type == "batch" ? "batch-" : "")\(sid)"
                if keysUsed.contains(key) {
                    var n = 2
                    while keysUsed.contains("\(key)#\(n)") { n += 1 }
                    key += "#\(n)"
                }
                keysUsed.insert(key)
                b.key = key
                active["\(type)/\(sid)"] = all.count
                all.append(b)
            default:
                guard let i = index() else { continue }
                switch event {
                case "ready":
                    if all[i].ready == nil { all[i].ready = at }
                    if let app: String = r["app_id"] { all[i].appID = app; all[i].appLink = "ready_line" }
                    if all[i].owner == nil { all[i].owner = r["owner"] }
                    if all[i].proxyUser == nil { all[i].proxyUser = r["proxy_user"] }
                    if all[i].kind == nil { all[i].kind = r["kind"] }
                case "idle_timeout": if all[i].idleLine == nil { all[i].idleLine = (at, evidence) }
                case "finished_purge": if all[i].purgeLine == nil { all[i].purgeLine = at }
                case "heartbeat_expired": if all[i].heartbeat == nil { all[i].heartbeat = (at, evidence) }
                case "deleting": if all[i].deletingLine == nil { all[i].deletingLine = (at, evidence) }
                case "deleted": if all[i].deleteLine == nil { all[i].deleteLine = (at, evidence) }
                case "stopped": if all[i].stopLine == nil { all[i].stopLine = (at, evidence) }
                case "app_not_found": if all[i].appNotFound == nil { all[i].appNotFound = (at, evidence) }
                default: break
                }
            }
        }
        return all
    }

    struct App {
        var id: String
        var state: String?
        var finish: Int64?
        var vcoreSeconds: Int64?
        var memorySeconds: Int64?
        var queue: String?
        var killedBy: String?
        var evidence: String
    }

    /// The session's YARN application: by the ready line's app id, else by the Livy tag, else by
    /// the default app name, within the session's life on its cluster.
    static func application(_ db: Database, _ b: inout Build, until end: Int64) throws -> App? {
        let select = """
            SELECT a.app_id, a.state, a.finish_time, a.vcore_seconds, a.memory_seconds, a.queue, a.file_id, a.line,
              (SELECT user FROM yarn_audit k WHERE k.app_id = a.app_id AND k.operation = 'Kill Application Request'
                 AND k.result = 'SUCCESS' ORDER BY k.at LIMIT 1) AS killed_by
            FROM yarn_app a
            """
        var row: Row?
        if let id = b.appID {
            row = try Row.fetchOne(db.cachedStatement(sql: select + " WHERE a.app_id = ?"), arguments: [id])
        } else {
            let prefix = b.type == "batch" ? "livy-batch-\(b.id)-" : "livy-session-\(b.id)-"
            let window: StatementArguments = [storedClusterID(b.clusterID), isoMillis(b.created - 60), isoMillis(end + 60)]
            // Tags are sorted and comma-joined; match a whole tag, in any case (lower-cased from 0.9).
            row = try Row.fetchOne(db.cachedStatement(sql: select + """
                 WHERE a.cluster_id IS ? AND coalesce(a.submit_time, a.start_time) BETWEEN ? AND ?
                   AND (',' || lower(a.application_tags)) LIKE ? ESCAPE '\\'
                 ORDER BY a.start_time LIMIT 1
                """), arguments: window + [("%," + prefix + "%").replacingOccurrences(of: "_", with: "\\_")])
            if row != nil { b.appLink = "tag" }
            if row == nil, b.type == "interactive" {
                row = try Row.fetchOne(db.cachedStatement(sql: select + """
                     WHERE a.cluster_id IS ? AND coalesce(a.submit_time, a.start_time) BETWEEN ? AND ?
                       AND a.name = ?
                     ORDER BY a.start_time LIMIT 1
                    """), arguments: window + ["livy-session-\(b.id)"])
                if row != nil { b.appLink = "name" }
            }
            if let row { b.appID = row["app_id"] }
        }
        guard let row else { return nil }
        return App(
            id: row["app_id"], state: row["state"], finish: (row["finish_time"] as String?).flatMap(seconds),
            vcoreSeconds: row["vcore_seconds"], memorySeconds: row["memory_seconds"], queue: row["queue"],
            killedBy: row["killed_by"], evidence: "yarn_app \(row["file_id"] as Int64):\(row["line"] as Int64)")
    }

    static func finish(_ db: Database, _ b0: Build, asOf: Int64, settings: DeriveSettings) throws -> StatementArguments {
        var b = b0
        // The Livy-side end and the bound for everything that may belong to this session.
        let livyEnd = [b.deleteLine?.0, b.stopLine?.0].compactMap { $0 }.min()
        let bound = min([livyEnd, b.restart?.0, b.nextServerStart].compactMap { $0 }.min() ?? asOf, asOf)
        // The app is submitted between the create and the ready line.
        let app = try application(db, &b, until: b.ready ?? bound)
        let yarnEnd = app?.finish.flatMap { $0 <= asOf ? $0 : nil }
        // SPEC §4's candidates, and the app-lookup failure: the session is dead from then on.
        let endCandidates: [(Int64, String)] = [
            b.deleteLine, b.stopLine, b.restart, yarnEnd.map { ($0, app!.evidence) }, b.appNotFound,
        ].compactMap { $0 }
        let ended = endCandidates.min { $0.0 < $1.0 }

        // Requests of this session: from its creation to its end (or the next server start).
        let windowEnd = min(ended?.0 ?? asOf, b.nextServerStart ?? Int64.max) + tolerance
        // Cached statements: these run once per session, and preparing them was a fifth of an
        // ingest's time on the benchmark corpus.
        let requests = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT at, action, status, file_id, line FROM livy_request
            WHERE cluster_id IS ? AND session_type = ? AND session_id = ? AND at >= ? AND at < ?
            ORDER BY at
            """), arguments: [storedClusterID(b.clusterID), b.type, b.id, isoMillis(b.created), isoMillis(windowEnd + 1)])
        let statements = requests.filter { ($0["action"] as String) == "statement" && ($0["status"] as Int) < 400 }
        let deleteRequest = requests.first { ($0["action"] as String) == "delete" && ($0["status"] as Int) < 400 }

        // Statements from saved REST answers: started within the session's life; their
        // completion is activity too (SPEC §4).
        let restStatements = b.type == "batch" ? [] : try Row.fetchAll(db.cachedStatement(sql: """
            SELECT DISTINCT statement_id, started, completed FROM livy_statement
            WHERE cluster_id IS ? AND session_id = ? AND started >= ? AND started < ?
            """), arguments: [storedClusterID(b.clusterID), b.id, isoMillis(b.created), isoMillis(windowEnd + 1)])

        var last = max(b.created, b.ready ?? b.created)
        for s in statements { if let t = seconds(s["at"]) { last = max(last, t) } }
        for s in restStatements {
            for key in ["started", "completed"] {
                if let text: String = s[key], let t = seconds(text), t <= (ended?.0 ?? asOf) { last = max(last, t) }
            }
        }
        let sources = [requests.isEmpty ? nil : "request_log", restStatements.isEmpty ? nil : "rest"].compactMap { $0 }
        let activitySource = sources.isEmpty ? "none" : sources.joined(separator: "+")
        let statementCount = max(statements.count, Set(restStatements.map { $0["statement_id"] as Int64 }).count)

        // End reason: the first rule of SPEC §4 that matches.
        let finishedBefore: (Int64) -> Bool = { t in (yarnEnd.map { $0 + tolerance < t } ?? false) }
        var reason: String
        var evidence: String?
        if let nf = b.appNotFound {
            (reason, evidence) = ("start_failed", nf.1)
        } else if b.ready == nil && ended != nil {
            (reason, evidence) = ("start_failed", "no ready line")
        } else if let idle = b.idleLine, !finishedBefore(idle.0), livyEnd.map({ $0 >= idle.0 }) ?? true {
            (reason, evidence) = ("idle_timeout", idle.1)
        } else if let hb = b.heartbeat, !finishedBefore(hb.0) {
            (reason, evidence) = ("heartbeat_expired", hb.1)
        } else if let del = deleteRequest, let t = seconds(del["at"]), !finishedBefore(t) {
            (reason, evidence) = ("user_deleted", "livy_request \(del["file_id"] as Int64):\(del["line"] as Int64)")
        } else if let del = b.deletingLine ?? b.deleteLine, b.idleLine == nil, b.purgeLine == nil, b.heartbeat == nil,
            !finishedBefore(del.0)
        {
            (reason, evidence) = ("user_deleted", del.1)
        } else if let app, let end = yarnEnd, app.state == "KILLED" || app.state == "FAILED", end <= (ended?.0 ?? asOf) + tolerance {
            // The app's end is what ended the session (not an orphan killed after a restart).
            (reason, evidence) = ("app_killed", app.killedBy.map { "\(app.evidence); killed by \($0)" } ?? app.evidence)
        } else if let app, yarnEnd != nil, ended?.1 == app.evidence {
            (reason, evidence) = ("app_finished", app.evidence)
        } else if let restart = b.restart, ended?.0 == restart.0 {
            (reason, evidence) = ("server_restart", restart.1)
        } else if let ended {
            // A delete or stop whose reason line was discounted (a 0.7 purge of a finished session
            // whose app is not in the data): the deletion ended it.
            (reason, evidence) = ("user_deleted", ended.1)
        } else {
            (reason, evidence) = ("still_running", nil)
        }

        let endedAt = ended?.0
        let end = endedAt ?? asOf
        let duration = max(0, end - b.created)
        // Batch sessions run a job, not a person's notebook: listed, never idle (SPEC §4).
        let idleTail = b.type == "batch" ? 0 : max(0, end - last)

        // Cost (SPEC §4): from the YARN summary, else from the requested resources, else none.
        let day = String(iso(b.created).prefix(10))
        let rate = settings.rate(on: day)
        var basis = "none"
        var cost: Double?
        let requested = requestedResources(b)
        if let app, let vc = app.vcoreSeconds, let mem = app.memorySeconds, let rate {
            basis = "yarn"
            cost = Double(vc) / 3600 * rate.vcpuHourUSD + Double(mem) / 1024 / 3600 * rate.gbHourUSD
        } else if reason != "start_failed", let rate {
            basis = "requested"
            let hours = Double(duration) / 3600
            cost = Double(requested.vcores) * hours * rate.vcpuHourUSD + Double(requested.memoryMB) / 1024 * hours * rate.gbHourUSD
        }
        let idleCost = cost.map { duration > 0 ? $0 * Double(idleTail) / Double(duration) : 0 }

        return [
            b.key, b.clusterID, b.serverStart.map(iso), b.id, b.type, b.kind, b.owner, b.proxyUser,
            b.appID, b.appLink, app?.queue ?? b.queue, iso(b.created), b.ready.map(iso), endedAt.map(iso),
            reason, evidence, iso(last), activitySource, statementCount, duration, idleTail,
            app?.vcoreSeconds, app?.memorySeconds, requested.vcores, requested.memoryMB, basis,
            basis == "none" ? nil : rate?.effective, cost, idleCost,
            idleTail >= settings.abandonAfterSeconds ? 1 : 0, b.fileID, b.line,
        ]
    }

    /// Driver + executors as requested, with Spark-on-YARN defaults for what the request leaves
    /// out: 1 core and 1 GiB each, 2 executors (or `spark.executor.instances` from the conf).
    static func requestedResources(_ b: Build) -> (vcores: Int64, memoryMB: Int64) {
        let executors = b.numExecutors ?? b.confExecutors ?? 2
        let vcores = (b.driverCores ?? 1) + executors * (b.executorCores ?? 1)
        let memory = memoryMB(b.driverMemory) + executors * memoryMB(b.executorMemory)
        return (vcores, memory)
    }

    /// Spark memory strings (`512m`, `2g`, `1t`, `2048k`; a bare number is MiB) in MiB; 1 GiB
    /// when absent or unreadable.
    static func memoryMB(_ s: String?) -> Int64 {
        guard let s = s?.lowercased().trimmingCharacters(in: .whitespaces), !s.isEmpty else { return 1024 }
        let number = s.prefix { $0.isNumber }
        guard let n = Int64(number) else { return 1024 }
        switch s.dropFirst(number.count).first {
        case "k": return max(1, n / 1024)
        case "m", nil: return n
        case "g": return n * 1024
        case "t": return n * 1024 * 1024
        default: return 1024
        }
    }

    static func confExecutors(_ json: String?) -> Int64? {
        guard let json, let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
            let v = object["spark.executor.instances"]
        else { return nil }
        return Int64(v)
    }

    /// The `cluster_id` as staging rows store it: NULL for the derived cluster `unknown`
    /// (compared with `IS ?`, which SQLite answers from the index like `= ?`).
    static func storedClusterID(_ clusterID: String) -> String? {
        clusterID == Deriver.unknownCluster ? nil : clusterID
    }

    /// Whole seconds of an ISO instant (milliseconds dropped).
    static func seconds(_ text: String) -> Int64? {
        let u = Array(text.utf8)
        guard u.count >= 19, let y = Int(String(decoding: u[0..<4], as: UTF8.self)),
            let mo = Int(String(decoding: u[5..<7], as: UTF8.self)), let d = Int(String(decoding: u[8..<10], as: UTF8.self)),
            let h = Int(String(decoding: u[11..<13], as: UTF8.self)), let mi = Int(String(decoding: u[14..<16], as: UTF8.self)),
            let s = Int(String(decoding: u[17..<19], as: UTF8.self))
        else { return nil }
        return UTCTime.epochSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s)
    }

    /// `YYYY-MM-DDTHH:MM:SS.000Z`, the stored form, for comparing with stored instants.
    static func isoMillis(_ seconds: Int64) -> String {
        UTCTime.iso8601(millis: seconds * 1000)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    static func iso(_ seconds: Int64) -> String {
        UTCTime.iso8601Seconds(millis: seconds * 1000)
    }
}
