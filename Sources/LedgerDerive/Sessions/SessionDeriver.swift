import Foundation
import GRDB
import LedgerModel
import LedgerStore

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
        var idleLine: Mark?
        /// The timeout the idle line prints, decoded (``livyTimeoutSeconds(_:)``).
        var idleTimeoutPrinted: Int64?
        /// The idle line is in 0.6–0.8's words (`… ms`), which also purge finished sessions.
        var idleLineMayBePurge = false
        /// The session's own timeout from its create request (0.8 `ttl`, 0.9 `idleTimeout`).
        var ownTimeout: Int64?
        /// 0.9's "finished before": Livy purged a session that had already finished.
        var purgeLine: Mark?
        var heartbeat: Mark?
        /// `Deleting …` (the deletion began) and `Deleted …` (it ended the session).
        var deletingLine: Mark?
        var deleteLine: Mark?
        var stopLine: Mark?
        var restart: Mark?
        var appNotFound: Mark?
        /// The next server start after this session's: no request after it belongs to it.
        var nextServerStart: Int64?
        var fileID: Int64 = 0
        var line: Int64 = 0
    }

    /// A Livy line that ended, or may have ended, a session: its time and where it is. The
    /// evidence text is made only for the lines a session's end names (a walk sees millions).
    struct Mark {
        var at: Int64
        var file: Int64
        var line: Int64

        var evidence: String { "livy_event \(file):\(line)" }
        var pair: (Int64, String) { (at, evidence) }
    }

    /// Every column of a session row, in the order `finish` gives them.
    static let allColumns = columns + IdentityDeriver.identityColumns

    /// The columns `finish` fills, in its order; the identity columns follow.
    static let columns = [
        "session_key", "cluster_id", "server_started_at", "livy_session_id", "session_type", "kind", "owner", "proxy_user",
        "app_id", "app_link", "queue", "created_at", "ready_at", "ended_at", "end_reason", "end_evidence", "last_activity_at",
        "activity_source", "statements", "duration_s", "idle_tail_s", "vcore_seconds", "memory_mb_seconds", "requested_vcores",
        "requested_memory_mb", "cost_basis", "rate_effective", "cost_usd", "idle_cost_usd", "abandoned", "file_id", "line",
    ]

    /// With `readers`, the sessions are found and finished on other threads, each on a
    /// connection of its own (``ParallelSessions``), and this one only writes them, in the same
    /// order as without. Either way they are written a block at a time.
    static func rebuild(
        _ db: Database, settings: DeriveSettings, identity: IdentityDeriver.SessionContext, readers: LedgerReaders? = nil,
        shape: ParallelSessions.Shape = .automatic
    ) throws {
        // Clusters without an `as_of` have no events, hence no sessions.
        let clusters = try Row.fetchAll(db, sql: "SELECT cluster_id, as_of FROM cluster ORDER BY cluster_id").compactMap { row in
            (row["as_of"] as String?).flatMap(seconds).map { (id: row["cluster_id"] as String, asOf: $0) }
        }
        if let readers, shape.threads > 1 {
            let parallel = ParallelSessions(clusters: clusters, readers: readers, shape: shape, settings: settings, identity: identity)
            try parallel.run(meanwhile: { try db.execute(sql: "DELETE FROM session") }) { rows in try LedgerStore.insert(db, rows) }
            return
        }
        try db.execute(sql: "DELETE FROM session")
        let statements = try Statements(db)
        for cluster in clusters {
            let found = try ClusterLookups(db, statements, clusterID: cluster.id)
            for block in try walk(db, clusterID: cluster.id).blocks {
                try LedgerStore.insert(db, try finish(
                    db, statements, found, block, asOf: cluster.asOf, settings: settings, identity: identity))
            }
        }
    }

    /// The rows of a block of sessions (``finish(_:_:_:_:asOf:settings:identity:)`` of each),
    /// encoded in one buffer: far less memory than the values, and the store binds its texts in
    /// place (``LedgerStore/insert(_:_:)``).
    static func finish(
        _ db: Database, _ statements: Statements, _ found: ClusterLookups, _ builds: [Build], asOf: Int64,
        settings: DeriveSettings, identity: IdentityDeriver.SessionContext
    ) throws -> TableBatch {
        var rows = TableBatch(table: "session", columns: allColumns)
        for build in builds {
            rows.append(line: 0, try finish(db, statements, found, build, asOf: asOf, settings: settings, identity: identity))
        }
        return rows
    }

    /// A cluster's sessions in walk order, kept in blocks of `blockSize`: a block is the piece
    /// of work that finishes them (``ParallelSessions``), memory is freed a block at a time as
    /// they are written, and a growing walk never copies all it holds into a buffer twice as
    /// large (a busy cluster's year is tens of thousands of sessions).
    struct Builds {
        let blockSize: Int
        private(set) var blocks: [[Build]] = []
        private(set) var count = 0

        init(blockSize: Int = 256) {
            precondition(blockSize > 0)
            self.blockSize = blockSize
        }

        mutating func append(_ build: Build) {
            if count % blockSize == 0 {
                blocks.append([])
                blocks[blocks.count - 1].reserveCapacity(blockSize)
            }
            blocks[blocks.count - 1].append(build)
            count += 1
        }

        subscript(index: Int) -> Build {
            _read { yield blocks[index / blockSize][index % blockSize] }
            _modify { yield &blocks[index / blockSize][index % blockSize] }
        }
    }

    /// The `livy_event` events the walk acts on, read from the stored bytes (the table's CHECK
    /// allows only these names and a few others, all ASCII).
    enum WalkEvent {
        case serverStart, serverStop, recovered, create, ready, idleTimeout, finishedPurge, heartbeatExpired
        case deleting, deleted, stopped, appNotFound

        private static let names: [(name: [UInt8], event: WalkEvent)] = ([
            ("ready", .ready), ("deleting", .deleting), ("deleted", .deleted), ("create", .create), ("stopped", .stopped),
            ("idle_timeout", .idleTimeout), ("finished_purge", .finishedPurge), ("heartbeat_expired", .heartbeatExpired),
            ("app_not_found", .appNotFound), ("server_start", .serverStart), ("server_stop", .serverStop),
            ("recovered", .recovered),
        ] as [(String, WalkEvent)]).map { (Array($0.0.utf8), $0.1) }

        /// The event these bytes name, or nil for one the walk does not act on.
        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let found = Self.names.first(where: { $0.name.elementsEqual(bytes) }) else { return nil }
            self = found.event
        }
    }

    /// Small numbers for the session types of a walk, to find a run's sessions by: the same
    /// number for the same text, as Swift compares Strings. ASCII bytes are compared as they
    /// are (two ASCII texts are equal as Strings only when their bytes are); any other text is
    /// looked up as a String, so canonically equivalent spellings share a number, as they did
    /// when the type was kept as a String.
    struct TypeCodes {
        static let interactive = 0
        static let batch = 1
        private var others: [String: Int] = [:]

        mutating func code(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
            if bytes.allSatisfy({ $0 < 0x80 }) {
                if bytes.elementsEqual("interactive".utf8) { return Self.interactive }
                if bytes.elementsEqual("batch".utf8) { return Self.batch }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if text == "interactive" { return Self.interactive }
            if text == "batch" { return Self.batch }
            if let code = others[text] { return code }
            others[text] = others.count + 2
            return others.count + 1
        }
    }

    /// Walks one cluster's Livy lines in time order into sessions.
    ///
    /// Lines of one instant in two files are taken file by file, the file that begins earlier
    /// first (then by path), never in the order the files were ingested (their ids): the same
    /// files give the same sessions whatever order they came in. The index's order (by file id)
    /// is used as long as no instant has lines of two files, which is the usual case; the first
    /// such instant has the cluster walked again in that order.
    static func walk(_ db: Database, clusterID: String, blockSize: Int = 256) throws -> Builds {
        if let all = try walk(db, clusterID: clusterID, blockSize: blockSize, byFileStart: false) { return all }
        return try walk(db, clusterID: clusterID, blockSize: blockSize, byFileStart: true)!
    }

    /// The walk, in the index's order (nil at the first instant with lines of two files), or
    /// `byFileStart`.
    private static func walk(_ db: Database, clusterID: String, blockSize: Int, byFileStart: Bool) throws -> Builds? {
        // Read through SQLite's C API by column position (RawStatement), not GRDB's row
        // decoding by name (benchmarks/NOTES.md, `SessionDeriver`).
        let columns = """
            e.file_id, e.line, e.at, e.event, e.session_type, e.session_id, e.app_id, e.owner, e.proxy_user, e.kind,
            e.driver_memory, e.driver_cores, e.executor_memory, e.executor_cores, e.num_executors, e.queue, e.conf, e.detail
            """
        let r = RawStatement(try db.makeStatement(sql: byFileStart
            ? """
                SELECT \(columns) FROM livy_event e JOIN input_file f ON f.id = e.file_id
                WHERE e.cluster_id IS ? ORDER BY e.at, f.first_event, f.path, e.line
                """
            : "SELECT \(columns) FROM livy_event e WHERE e.cluster_id IS ? ORDER BY e.at, e.file_id, e.line"))
        var previous: (at: Int64, file: Int64)?
        r.reset()
        defer { r.reset() }
        try r.bind([.optionalText(storedClusterID(clusterID))])
        var all = Builds(blockSize: blockSize)
        /// A session of the current server run: its type (``TypeCodes``) and Livy id.
        struct RunKey: Hashable {
            var type: Int
            var id: Int64
        }
        var types = TypeCodes()
        var active: [RunKey: Int] = [:]  // → index in all, for the current server run
        var carried: [RunKey: Int] = [:]  // sessions alive when the server restarted
        var serverStart: Int64?
        var runOpening = false
        var keysUsed = Set<String>()
        /// `cluster/server start/` of the sessions of the current run, made once a run.
        var runPrefix: (start: Int64?, text: String)?
        while try r.step() {
            guard let at = r.withBytes(2, { $0.flatMap(seconds) }) else { continue }
            // The event and the type are read on their bytes, and the sessions of a run are
            // found by the type's code, not by Strings made and hashed for every line
            // (benchmarks/NOTES.md, `SessionDeriver`). Lines of other events name no session
            // this walk follows.
            guard let event = r.withBytes(3, { $0.flatMap(WalkEvent.init) }) else { continue }
            if !byFileStart {
                let file = r.integer(0) ?? 0
                if let previous, previous.at == at, previous.file != file { return nil }
                previous = (at, file)
            }
            var mark: Mark { Mark(at: at, file: r.integer(0) ?? 0, line: r.integer(1) ?? 0) }
            /// The type's code; nil when the line names none.
            let typeCode = r.withBytes(4) { $0.map { types.code($0) } }
            /// The type's text, as the session keeps it.
            var type: String { r.text(4) ?? "interactive" }
            let sid = r.integer(5)
            func index() -> Int? {
                guard let sid else { return nil }
                // 0.7/0.8 delete lines say "session N" without a type: interactive first.
                guard let typeCode else {
                    return active[RunKey(type: TypeCodes.interactive, id: sid)] ?? active[RunKey(type: TypeCodes.batch, id: sid)]
                }
                return active[RunKey(type: typeCode, id: sid)]
            }
            // A server run begins at its first start-up line: the "Recovered …" lines come
            // before "Starting server on …" (LivyServer.start builds the session managers first).
            func endRun() {
                guard !runOpening else { return }
                for (k, i) in active where all[i].stopLine == nil && all[i].deleteLine == nil {
                    if all[i].restart == nil { all[i].restart = mark }
                    if all[i].nextServerStart == nil { all[i].nextServerStart = at }
                    carried[k] = i
                }
                active = [:]
            }
            switch event {
            case .serverStop:
                endRun()
            case .serverStart:
                endRun()
                runOpening = false
                serverStart = at
            case .recovered:
                endRun()
                if !runOpening { serverStart = at }
                runOpening = true
                // Recovery keeps the sessions alive across the restart, with their ids.
                if let n = Int(r.text(17) ?? ""), n > 0 {
                    let recoveredType = type.hasPrefix("batch") ? "batch" : "interactive"
                    for (k, i) in carried where all[i].type == recoveredType {
                        all[i].restart = nil
                        all[i].nextServerStart = nil
                        active[k] = i
                    }
                }
            case .create:
                guard let sid else { continue }
                let type = type
                runOpening = false
                carried = [:]
                var b = Build()
                b.clusterID = clusterID
                b.serverStart = serverStart
                b.id = sid
                b.type = type
                b.created = at
                b.owner = r.text(7).flatMap { $0 == "null" ? nil : $0 }
                b.proxyUser = r.text(8)
                b.kind = r.text(9)
                b.queue = r.text(15)
                b.driverMemory = r.text(10)
                b.driverCores = r.integer(11)
                b.executorMemory = r.text(12)
                b.executorCores = r.integer(13)
                b.numExecutors = r.integer(14)
                b.confExecutors = confExecutors(r.text(16))
                b.ownTimeout = r.text(17).flatMap(livyDurationSeconds)
                b.fileID = r.integer(0) ?? 0
                b.line = r.integer(1) ?? 0
                if runPrefix == nil || runPrefix!.start != serverStart {
                    runPrefix = (serverStart, clusterID + "/" + (serverStart.map(iso) ?? "start-unknown") + "/")
                }
                var key = runPrefix!.text + (type == "batch" ? "batch-" : "") + String(sid)
                if !keysUsed.insert(key).inserted {
                    var n = 2
                    while keysUsed.contains("\(key)#\(n)") { n += 1 }
                    key += "#\(n)"
                    keysUsed.insert(key)
                }
                b.key = key
                active[RunKey(type: typeCode ?? TypeCodes.interactive, id: sid)] = all.count
                all.append(b)
            default:
                guard let i = index() else { continue }
                switch event {
                case .ready:
                    if all[i].ready == nil { all[i].ready = at }
                    if let app = r.text(6) { all[i].appID = app; all[i].appLink = "ready_line" }
                    if all[i].owner == nil { all[i].owner = r.text(7) }
                    if all[i].proxyUser == nil { all[i].proxyUser = r.text(8) }
                    if all[i].kind == nil { all[i].kind = r.text(9) }
                case .idleTimeout:
                    if all[i].idleLine == nil {
                        all[i].idleLine = mark
                        let printed = r.text(17)
                        all[i].idleTimeoutPrinted = printed.flatMap(livyTimeoutSeconds)
                        all[i].idleLineMayBePurge = !(printed?.hasSuffix(" secs") ?? false)
                    }
                case .finishedPurge: if all[i].purgeLine == nil { all[i].purgeLine = mark }
                case .heartbeatExpired: if all[i].heartbeat == nil { all[i].heartbeat = mark }
                case .deleting: if all[i].deletingLine == nil { all[i].deletingLine = mark }
                case .deleted: if all[i].deleteLine == nil { all[i].deleteLine = mark }
                case .stopped: if all[i].stopLine == nil { all[i].stopLine = mark }
                case .appNotFound: if all[i].appNotFound == nil { all[i].appNotFound = mark }
                case .serverStop, .serverStart, .recovered, .create: break
                }
            }
        }
        return all
    }

    struct App {
        var id: String
        var state: String?
        var finalStatus: String?
        var finish: Int64?
        var vcoreSeconds: Int64?
        var memorySeconds: Int64?
        var queue: String?
        var killedBy: String?
        var evidence: String
    }

    /// The statements `finish` runs for every session, prepared once per derive and run
    /// through SQLite's C API (``RawStatement``), not GRDB's argument boxing and row decoding:
    /// they run for each of a year's 500,000 sessions (benchmarks/NOTES.md, `SessionDeriver`).
    struct Statements {
        let clusterApps: RawStatement
        let clusterRequestKeys: RawStatement
        let clusterStatementSessions: RawStatement
        let appByID: RawStatement
        let appByTag: RawStatement
        let appByName: RawStatement
        let requests: RawStatement
        let restStatements: RawStatement

        init(_ db: Database) throws {
            let select = """
                SELECT a.app_id, a.state, a.finish_time, a.vcore_seconds, a.memory_seconds, a.queue, a.file_id, a.line,
                  (SELECT user FROM yarn_audit k WHERE k.app_id = a.app_id AND k.operation = 'Kill Application Request'
                     AND k.result = 'SUCCESS' ORDER BY k.at LIMIT 1) AS killed_by, a.final_status
                FROM yarn_app a
                """
            appByID = RawStatement(try db.makeStatement(sql: select + " WHERE a.app_id = ?"))
            clusterApps = RawStatement(try db.makeStatement(sql: select + " WHERE a.cluster_id IS ?"))
            clusterRequestKeys = RawStatement(try db.makeStatement(sql: """
                SELECT DISTINCT session_type, session_id FROM livy_request WHERE cluster_id IS ?
                """))
            clusterStatementSessions = RawStatement(try db.makeStatement(sql: """
                SELECT DISTINCT session_id FROM livy_statement WHERE cluster_id IS ?
                """))
            // Tags are sorted and comma-joined; match a whole tag, in any case (lower-cased from 0.9).
            appByTag = RawStatement(try db.makeStatement(sql: select + """
                 WHERE a.cluster_id IS ? AND coalesce(a.submit_time, a.start_time) BETWEEN ? AND ?
                   AND (',' || lower(a.application_tags)) LIKE ? ESCAPE '\\'
                 ORDER BY a.start_time LIMIT 1
                """))
            appByName = RawStatement(try db.makeStatement(sql: select + """
                 WHERE a.cluster_id IS ? AND coalesce(a.submit_time, a.start_time) BETWEEN ? AND ?
                   AND a.name = ?
                 ORDER BY a.start_time LIMIT 1
                """))
            requests = RawStatement(try db.makeStatement(sql: """
                SELECT at, action, status, file_id, line FROM livy_request
                WHERE cluster_id IS ? AND session_type = ? AND session_id = ? AND at >= ? AND at < ?
                ORDER BY at
                """))
            restStatements = RawStatement(try db.makeStatement(sql: """
                SELECT DISTINCT statement_id, started, completed FROM livy_statement
                WHERE cluster_id IS ? AND session_id = ? AND started >= ? AND started < ?
                """))
        }
    }

    /// The app on the row `statement` stands on (a `Statements` app select).
    static func app(_ statement: RawStatement) -> App? {
        guard let id = statement.text(0) else { return nil }
        return App(
            id: id, state: statement.text(1), finalStatus: statement.text(9), finish: statement.text(2).flatMap(seconds),
            vcoreSeconds: statement.integer(3), memorySeconds: statement.integer(4), queue: statement.text(5),
            killedBy: statement.text(8), evidence: "yarn_app \(statement.integer(6) ?? 0):\(statement.integer(7) ?? 0)")
    }

    /// What one cluster's staging rows hold, read once before its sessions are finished rather
    /// than asked for each session (benchmarks/NOTES.md, `SessionDeriver`):
    /// the cluster's apps by id, and which sessions have stored requests or REST statements.
    /// Each only spares a query whose answer it already knows: an app id it lacks is still
    /// looked up (an app is found by id on any cluster), and a session it lists is queried.
    struct ClusterLookups {
        var apps: [String: App] = [:]
        var requestKeys = Set<RequestKey>()
        var statementSessions = Set<Int64>()

        struct RequestKey: Hashable {
            var type: String
            var id: Int64
        }

        init(_ db: Database, _ statements: Statements, clusterID: String) throws {
            let cluster: [SQLValue] = [.optionalText(storedClusterID(clusterID))]
            func each(_ statement: RawStatement, _ body: (RawStatement) -> Void) throws {
                statement.reset()
                defer { statement.reset() }
                try statement.bind(cluster)
                while try statement.step() { body(statement) }
            }
            try each(statements.clusterApps) { r in
                if let app = SessionDeriver.app(r) { apps[app.id] = app }
            }
            try each(statements.clusterRequestKeys) { r in
                if let type = r.text(0), let id = r.integer(1) { requestKeys.insert(RequestKey(type: type, id: id)) }
            }
            try each(statements.clusterStatementSessions) { r in
                if let id = r.integer(0) { statementSessions.insert(id) }
            }
        }
    }

    /// The session's YARN application: by the ready line's app id, else by the Livy tag, else by
    /// the default app name, within the session's life on its cluster.
    static func application(
        _ statements: Statements, _ found: ClusterLookups, _ b: inout Build, until end: Int64
    ) throws -> App? {
        /// The app of `statement`'s first row, if it has one.
        func first(_ statement: RawStatement, _ arguments: [SQLValue]) throws -> App? {
            statement.reset()
            defer { statement.reset() }
            try statement.bind(arguments)
            guard try statement.step() else { return nil }
            return SessionDeriver.app(statement)
        }
        if let id = b.appID { return try found.apps[id] ?? first(statements.appByID, [.text(id)]) }
        let window: [SQLValue] = [.optionalText(storedClusterID(b.clusterID)), .text(isoMillis(b.created - 60)), .text(isoMillis(end + 60))]
        let prefix = b.type == "batch" ? "livy-batch-\(b.id)-" : "livy-session-\(b.id)-"
        var app = try first(statements.appByTag, window + [.text(("%," + prefix + "%").replacingOccurrences(of: "_", with: "\\_"))])
        if app != nil { b.appLink = "tag" }
        if app == nil, b.type == "interactive" {
            app = try first(statements.appByName, window + [.text("livy-session-\(b.id)")])
            if app != nil { b.appLink = "name" }
        }
        if let app { b.appID = app.id }
        return app
    }

    /// A stored Livy request of a session.
    struct Request {
        var at: String
        var action: String
        var status: Int64
        var fileID: Int64
        var line: Int64
    }

    /// A statement of a session from a saved REST answer.
    struct RestStatement {
        var id: Int64
        var started: String?
        var completed: String?
    }

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
            b.deleteLine?.pair, b.stopLine?.pair, b.restart?.pair, yarnEnd.map { ($0, app!.evidence) }, b.appNotFound?.pair,
        ].compactMap { $0 }
        let ended = endCandidates.min { $0.0 < $1.0 }

        // Requests of this session: from its creation to its end (or the next server start).
        let windowEnd = min(ended?.0 ?? asOf, b.nextServerStart ?? Int64.max) + tolerance
        var requests: [Request] = []
        if found.requestKeys.contains(ClusterLookups.RequestKey(type: b.type, id: b.id)) {
            let q = statements.requests
            q.reset()
            try q.bind([.optionalText(storedClusterID(b.clusterID)), .text(b.type), .integer(b.id), .text(isoMillis(b.created)), .text(isoMillis(windowEnd + 1))])
            while try q.step() {
                requests.append(Request(at: q.text(0) ?? "", action: q.text(1) ?? "", status: q.integer(2) ?? 0, fileID: q.integer(3) ?? 0, line: q.integer(4) ?? 0))
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
            try r.bind([.optionalText(storedClusterID(b.clusterID)), .integer(b.id), .text(isoMillis(b.created)), .text(isoMillis(windowEnd + 1))])
            while try r.step() { restStatements.append(RestStatement(id: r.integer(0) ?? 0, started: r.text(1), completed: r.text(2))) }
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
        } else if let idle = b.idleLine, !idleIsPurge, !finishedBefore(idle.at), livyEnd.map({ $0 >= idle.at }) ?? true {
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
        if let app, let vc = app.vcoreSeconds, let mem = app.memorySeconds, let rate {
            basis = "yarn"
            cost = Double(vc) / 3600 * rate.vcpuHourUSD + Double(mem) / 1024 / 3600 * rate.gbHourUSD
        } else if reason != "start_failed", let rate {
            basis = "requested"
            let hours = Double(duration) / 3600
            cost = Double(requested.vcores) * hours * rate.vcpuHourUSD + Double(requested.memoryMB) / 1024 * hours * rate.gbHourUSD
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
            integer(app?.vcoreSeconds), integer(app?.memorySeconds), integer(requested.vcores), integer(requested.memoryMB),
            text(basis), text(basis == "none" ? nil : rate?.effective), real(cost), real(idleCost),
            integer(idleTail >= settings.abandonAfterSeconds ? 1 : 0), integer(b.fileID), integer(b.line),
        ] + (try identity.columns(
            db, cluster: b.clusterID, batch: b.type == "batch", owner: b.owner, proxyUser: b.proxyUser, created: b.created, createdAt: iso(b.created),
            duration: duration, cost: cost))
    }

    /// A YARN state or final status that says the app did not end well.
    static func isKilledOrFailed(_ value: String?) -> Bool {
        value == "KILLED" || value == "FAILED"
    }

    /// The idle timeout a Livy idle-timeout line prints, in seconds, decoded by its dialect
    /// (formats.md §1.6): 0.6/0.7 print milliseconds (`3600000.0 ms`, `2.88E7 ms`), 0.8 prints
    /// ms / 1e6 with the same unit word (`3.6 ms`, `28.8 ms`), 0.9 prints ms / 1e9 as `secs`
    /// (`0.0036 secs`). A 0.7 reading under a minute, or a 0.8 one of 60,000 or more (694 days),
    /// is not a timeout anyone sets, so the number alone tells 0.7 from 0.8; a `secs` number of
    /// 60 or more is taken as seconds (a later Livy that prints them right).
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

    /// `spark.executor.instances` of a stored conf (`JSONText.object` of string pairs).
    static func confExecutors(_ json: String?) -> Int64? {
        guard var json else { return nil }
        if let quick = json.withUTF8(quickExecutors) { return quick }
        guard let data = json.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
            let v = object["spark.executor.instances"]
        else { return nil }
        return Int64(v)
    }

    /// `confExecutors` on the bytes, for what the Livy parser stores (`JSONText.object` of string
    /// pairs), not parsed by Foundation for every session (benchmarks/NOTES.md, `SessionDeriver`). Read here only
    /// when the text is exactly a flat object of strings with no escape, control byte or space, and
    /// names the key at most once: `.some(count)`, where `count` is nil when the key is absent or
    /// its value is no number. nil (ask Foundation) for anything else.
    static func quickExecutors(_ u: UnsafeBufferPointer<UInt8>) -> Int64?? {
        let name: StaticString = "spark.executor.instances"
        let n = u.count
        var i = 1
        /// The contents of the string at `i`, which is then moved past it.
        func string() -> Range<Int>? {
            guard i < n, u[i] == 0x22 else { return nil }
            let start = i + 1
            var j = start
            while j < n, u[j] != 0x22 {
                if u[j] == 0x5C || u[j] < 0x20 { return nil }
                j += 1
            }
            guard j < n else { return nil }
            i = j + 1
            return start..<j
        }
        guard n >= 2, u[0] == 0x7B else { return nil }
        if u[1] == 0x7D { return n == 2 ? .some(nil) : nil }
        var count: Int64?
        var seen = false
        while true {
            guard let key = string(), i < n, u[i] == 0x3A else { return nil }
            i += 1
            guard let value = string() else { return nil }
            if key.count == name.utf8CodeUnitCount, memcmp(u.baseAddress! + key.lowerBound, name.utf8Start, key.count) == 0 {
                if seen { return nil }
                seen = true
                count = Int64(String(decoding: UnsafeBufferPointer(rebasing: u[value]), as: UTF8.self))
            }
            guard i < n else { return nil }
            if u[i] == 0x2C {
                i += 1
            } else if u[i] == 0x7D, i + 1 == n {
                return .some(count)
            } else {
                return nil
            }
        }
    }

    /// The `cluster_id` as staging rows store it: NULL for the derived cluster `unknown`
    /// (compared with `IS ?`, which SQLite answers from the index like `= ?`).
    static func storedClusterID(_ clusterID: String) -> String? {
        clusterID == Deriver.unknownCluster ? nil : clusterID
    }

    /// Whole seconds of an ISO instant (milliseconds dropped). Read on the bytes, each field as
    /// `Int(_:)` reads it (an optional sign, then digits): it runs for every Livy event and
    /// session of a derive.
    static func seconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8(seconds)
    }

    /// ``seconds(_:)-(String)`` of the UTF-8 bytes of an instant.
    static func seconds(_ u: UnsafeBufferPointer<UInt8>) -> Int64? {
        UTCTime.seconds(u)
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
