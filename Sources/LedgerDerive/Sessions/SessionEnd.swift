import Foundation
import GRDB
import LedgerModel
import LedgerSQLite

extension SessionDeriver {
    /// Every column of a session row, in the order `finish` gives them.
    static let allColumns = columns + IdentityDeriver.identityColumns

    /// The columns `finish` fills, in its order; the identity columns follow.
    static let columns = [
        "session_key", "cluster_id", "server_started_at", "livy_session_id", "session_type", "kind", "owner",
        "proxy_user",
        "app_id", "app_link", "queue", "created_at", "ready_at", "ended_at", "end_reason", "end_evidence",
        "last_activity_at",
        "activity_source", "statements", "duration_s", "idle_tail_s", "vcore_seconds", "memory_mb_seconds",
        "requested_vcores",
        "requested_memory_mb", "cost_basis", "rate_effective", "cost_usd", "idle_cost_usd", "abandoned", "file_id",
        "line", "executor_cap", "executor_cap_source", "peak_containers", "peak_vcores",
    ]

    /// The rows of a block of sessions (``finish(_:_:_:_:asOf:settings:identity:)`` of each),
    /// encoded in one buffer: far less memory than the values, and the store binds its texts in
    /// place (``LedgerStore/insert(_:_:)``).
    static func finish(
        _ db: Database, _ statements: Statements, _ found: ClusterLookups, _ builds: [Build], asOf: Int64,
        settings: DeriveSettings, identity: IdentityDeriver.SessionContext
    ) throws -> TableBatch {
        var rows = TableBatch(table: "session", columns: allColumns)
        for build in builds {
            rows.append(
                line: 0, try finish(db, statements, found, build, asOf: asOf, settings: settings, identity: identity))
        }
        return rows
    }

    /// One session's row: its app, requests and statements, its end (SPEC §4's end-reason
    /// rules), idle tail and cost, then the identity columns `identity` fills.
    static func finish(
        _ db: Database, _ statements: Statements, _ found: ClusterLookups, _ b0: Build, asOf: Int64,
        settings: DeriveSettings, identity: IdentityDeriver.SessionContext
    ) throws -> [SQLValue] {
        var b = b0
        // The Livy-side end and the bound for everything that may belong to this session.
        let livyEnd = [b.deleteLine?.at, b.stopLine?.at].compactMap { $0 }.min()
        let bound = min([livyEnd, b.restart?.at, b.nextServerStart].compactMap { $0 }.min() ?? asOf, asOf)
        // The app is submitted between the create and the ready line.
        let app = try application(statements, found, &b, until: b.ready ?? bound)
        let yarnEnd = app?.finish.flatMap { $0 <= asOf ? $0 : nil }
        // SPEC §4's candidates, and the app-lookup failure: the session is dead from then on.
        let endCandidates: [(Int64, String)] = [
            b.deleteLine?.pair, b.stopLine?.pair, b.restart?.pair, yarnEnd.map { ($0, app!.evidence) },
            b.appNotFound?.pair,
        ].compactMap { $0 }
        let ended = endCandidates.min { $0.0 < $1.0 }

        // Requests of this session: from its creation to its end (or the next server start).
        let windowEnd = min(ended?.0 ?? asOf, b.nextServerStart ?? Int64.max) + tolerance
        var requests: [Request] = []
        if found.requestKeys.contains(ClusterLookups.RequestKey(type: b.type, id: b.id)) {
            let q = statements.requests
            q.reset()
            try q.bind([
                .optionalText(storedClusterID(b.clusterID)), .text(b.type), .integer(b.id), .text(isoMillis(b.created)),
                .text(isoMillis(windowEnd + 1)),
            ])
            while try q.step() {
                requests.append(Request(q))
            }
            q.reset()
        }
        let statementRequests = requests.filter { $0.action == "statement" && $0.status < 400 }
        let deleteRequest = requests.first { $0.action == "delete" && $0.status < 400 }

        // Statements from saved REST answers: started within the session's life; their
        // completion is activity too (SPEC §4).
        var restStatements: [RestStatement] = []
        if b.type != "batch", found.statementSessions.contains(b.id) {
            let r = statements.restStatements
            r.reset()
            try r.bind([
                .optionalText(storedClusterID(b.clusterID)), .integer(b.id), .text(isoMillis(b.created)),
                .text(isoMillis(windowEnd + 1)),
            ])
            while try r.step() { restStatements.append(RestStatement(r)) }
            r.reset()
        }

        var last = max(b.created, b.ready ?? b.created)
        for s in statementRequests { if let t = seconds(s.at) { last = max(last, t) } }
        for s in restStatements {
            for text in [s.started, s.completed] {
                if let text, let t = seconds(text), t <= (ended?.0 ?? asOf) { last = max(last, t) }
            }
        }
        let sources = [requests.isEmpty ? nil : "request_log", restStatements.isEmpty ? nil : "rest"].compactMap { $0 }
        let activitySource = sources.isEmpty ? "none" : sources.joined(separator: "+")
        let statementCount = max(statementRequests.count, Set(restStatements.map(\.id)).count)

        // End reason: the first rule of SPEC §4 that matches.
        let finishedBefore: (Int64) -> Bool = { t in (yarnEnd.map { $0 + tolerance < t } ?? false) }
        // Livy 0.6–0.8 purge a session that had already finished with the idle-timeout words
        // (formats.md §1.6; 0.9 words a purge apart). A real idle timeout comes at least the
        // timeout after the last activity (Livy also counts activity the logs do not show, which
        // only makes it later), so a line that came sooner than that after the last activity we
        // know is a purge. The timeout: the session's own, else the server's, as the line prints
        // it, else the configured one. A batch session never times out: its line is a purge.
        let configured: Int64? = settings.livySessionTimeoutSeconds.map { Int64($0) }
        let timeout: Int64? = b.ownTimeout ?? b.idleTimeoutPrinted ?? configured
        var idleIsPurge = false
        if let idle = b.idleLine, b.idleLineMayBePurge {
            if b.type == "batch" {
                idleIsPurge = true
            } else if let timeout {
                idleIsPurge = idle.at - last < timeout - tolerance
            }
        }
        // The app ended when, or after, the Livy server went away: Livy stops its sessions'
        // apps at a shutdown without recovery, and an orphan is killed later.
        var appEndedByRestart = false
        if let restart = b.restart, let yarnEnd { appEndedByRestart = yarnEnd >= restart.at - tolerance }
        let appFailed = isKilledOrFailed(app?.state) || isKilledOrFailed(app?.finalStatus)
        var reason: String
        var evidence: String?
        if let nf = b.appNotFound {
            (reason, evidence) = ("start_failed", nf.evidence)
        } else if b.ready == nil && ended != nil {
            (reason, evidence) = ("start_failed", "no ready line")
        } else if let idle = b.idleLine, !idleIsPurge, !finishedBefore(idle.at), livyEnd.map({ $0 >= idle.at }) ?? true
        {
            (reason, evidence) = ("idle_timeout", idle.evidence)
        } else if let hb = b.heartbeat, !finishedBefore(hb.at) {
            (reason, evidence) = ("heartbeat_expired", hb.evidence)
        } else if let del = deleteRequest, let t = seconds(del.at), !finishedBefore(t) {
            (reason, evidence) = ("user_deleted", "livy_request \(del.fileID):\(del.line)")
        } else if let del = b.deletingLine ?? b.deleteLine, b.idleLine == nil, b.purgeLine == nil, b.heartbeat == nil,
            !finishedBefore(del.at)
        {
            (reason, evidence) = ("user_deleted", del.evidence)
        } else if let restart = b.restart, appEndedByRestart {
            (reason, evidence) = ("server_restart", restart.evidence)
        } else if let app, let end = yarnEnd, appFailed, end <= (ended?.0 ?? asOf) + tolerance {
            // The app's end is what ended the session: killed, or failed (YARN's final status).
            (reason, evidence) = ("app_killed", app.killedBy.map { "\(app.evidence); killed by \($0)" } ?? app.evidence)
        } else if let app, yarnEnd != nil, ended?.1 == app.evidence {
            (reason, evidence) = ("app_finished", app.evidence)
        } else if let restart = b.restart, ended?.0 == restart.at {
            (reason, evidence) = ("server_restart", restart.evidence)
        } else if let purge = b.purgeLine ?? (idleIsPurge ? b.idleLine : nil), ended != nil {
            // Livy purged a session that had finished: its app ended before, how is not in the
            // data (no YARN summary). It did not time out, and nobody deleted it.
            (reason, evidence) = ("app_finished", "\(purge.evidence) (purged as finished)")
        } else if let ended {
            // A delete or stop whose reason line was discounted: the deletion ended it.
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
        let cap = executorCap(b, cluster: settings.clusterSpark[b.clusterID])
        let peaks = b.appID.flatMap { found.containerPeaks[$0] }
        if let app, let vc = app.vcoreSeconds, let mem = app.memorySeconds, let rate {
            basis = "yarn"
            cost = Double(vc) / 3600 * rate.vcpuHourUSD + Double(mem) / 1024 / 3600 * rate.gbHourUSD
        } else if reason != "start_failed", let rate {
            basis = "requested"
            let hours = Double(duration) / 3600
            cost =
                Double(requested.vcores) * hours * rate.vcpuHourUSD + Double(requested.memoryMB) / 1024 * hours
                * rate.gbHourUSD
        }
        let idleCost = cost.map { duration > 0 ? $0 * Double(idleTail) / Double(duration) : 0 }

        func text(_ s: String?) -> SQLValue { .optionalText(s) }
        func integer(_ i: Int64?) -> SQLValue { .optionalInteger(i) }
        func real(_ d: Double?) -> SQLValue { d.map(SQLValue.real) ?? .null }
        return [
            text(b.key), text(b.clusterID), text(b.serverStart.map(iso)), integer(b.id), text(b.type), text(b.kind),
            text(b.owner), text(b.proxyUser), text(b.appID), text(b.appLink), text(app?.queue ?? b.queue),
            text(iso(b.created)), text(b.ready.map(iso)), text(endedAt.map(iso)), text(reason), text(evidence),
            text(iso(last)), text(activitySource), integer(Int64(statementCount)), integer(duration), integer(idleTail),
            integer(app?.vcoreSeconds), integer(app?.memorySeconds), integer(requested.vcores),
            integer(requested.memoryMB),
            text(basis), text(basis == "none" ? nil : rate?.effective), real(cost), real(idleCost),
            integer(idleTail >= settings.abandonAfterSeconds ? 1 : 0), integer(b.fileID), integer(b.line),
            integer(cap.cap), text(cap.source), integer(peaks?.containers), integer(peaks?.vcores ?? nil),
        ]
            + (try identity.columns(
                db, cluster: b.clusterID, batch: b.type == "batch", owner: b.owner, proxyUser: b.proxyUser,
                created: b.created, createdAt: iso(b.created),
                duration: duration, cost: cost))
    }

    /// A YARN state or final status that says the app did not end well.
    static func isKilledOrFailed(_ value: String?) -> Bool {
        value == "KILLED" || value == "FAILED"
    }

    /// The idle timeout a Livy idle-timeout line prints, in seconds, decoded by its dialect
    /// (formats.md §1.6): 0.6/0.7 print milliseconds (`3600000.0 ms`, `2.88E7 ms`), 0.8 prints
    /// ms / 1e6 with the same unit word (`3.6 ms`, `28.8 ms`), 0.9 prints ms / 1e9 as `secs`
    /// (`0.0036 secs`).
    ///
    /// A 0.7 reading under a minute, or a 0.8 one of 60,000 or more (694 days), is not a timeout
    /// anyone sets, so the number alone tells 0.7 from 0.8; a `secs` number of 60 or more is taken
    /// as seconds (a later Livy that prints them right).
    static func livyTimeoutSeconds(_ printed: String) -> Int64? {
        let parts = printed.split(separator: " ")
        guard parts.count == 2, let x = Double(parts[0]), x.isFinite, x > 0 else { return nil }
        let seconds: Double
        switch parts[1] {
        case "ms": seconds = x >= 60_000 ? x / 1000 : x * 1000
        case "secs": seconds = x >= 60 ? x : x * 1_000_000
        default: return nil
        }
        return seconds < 1e12 ? Int64(seconds.rounded()) : nil
    }

    /// A Livy duration setting (`30m`, `2h`, `1d`, `90s`, `500ms`; a bare number is
    /// milliseconds, as Livy's time strings read it), in whole seconds.
    static func livyDurationSeconds(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        guard let n = Int64(digits), n < 1 << 40 else { return nil }
        switch t.dropFirst(digits.count) {
        case "", "ms": return n / 1000
        case "s", "sec", "secs": return n
        case "m", "min", "mins": return n * 60
        case "h": return n * 3600
        case "d": return n * 86_400
        default: return nil
        }
    }
}
