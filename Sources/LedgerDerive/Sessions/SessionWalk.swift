import GRDB

extension SessionDeriver {
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
        var conf = ExecutorConf()
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

    /// A Livy line that ended, or may have ended, a session: its time and where it is.
    ///
    /// The evidence text is made only for the lines a session's end names (a walk sees millions).
    struct Mark {
        var at: Int64
        var file: Int64
        var line: Int64

        var evidence: String { "livy_event \(file):\(line)" }
        var pair: (Int64, String) { (at, evidence) }
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

        private static let names: [(name: [UInt8], event: WalkEvent)] =
            ([
                ("ready", .ready), ("deleting", .deleting), ("deleted", .deleted), ("create", .create),
                ("stopped", .stopped),
                ("idle_timeout", .idleTimeout), ("finished_purge", .finishedPurge),
                ("heartbeat_expired", .heartbeatExpired),
                ("app_not_found", .appNotFound), ("server_start", .serverStart), ("server_stop", .serverStop),
                ("recovered", .recovered),
            ] as [(String, WalkEvent)]).map { (Array($0.0.utf8), $0.1) }

        /// The event these bytes name, or nil for one the walk does not act on.
        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let found = Self.names.first(where: { $0.name.elementsEqual(bytes) }) else { return nil }
            self = found.event
        }
    }

    /// Small numbers for the session types of a walk, to find a run's sessions by: the same number
    /// for the same text, as Swift compares Strings.
    ///
    /// ASCII bytes are compared as they are (two ASCII texts are equal as Strings only when their
    /// bytes are); any other text is looked up as a String, so canonically equivalent spellings
    /// share a number, as they did when the type was kept as a String.
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
        let row = try LivyEventCursor(db, byFileStart: byFileStart)
        var previous: (at: Int64, file: Int64)?
        row.reset()
        defer { row.reset() }
        try row.bind(cluster: storedClusterID(clusterID))
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
        while try row.step() {
            guard let at = row.withAt({ $0.flatMap(seconds) }) else { continue }
            // The event and the type are read on their bytes, and the sessions of a run are
            // found by the type's code, not by Strings made and hashed for every line
            // (benchmarks/NOTES.md, `SessionDeriver`). Lines of other events name no session
            // this walk follows.
            guard let event = row.withEvent({ $0.flatMap(WalkEvent.init) }) else { continue }
            if !byFileStart {
                let file = row.fileID ?? 0
                if let previous, previous.at == at, previous.file != file { return nil }
                previous = (at, file)
            }
            var mark: Mark { Mark(at: at, file: row.fileID ?? 0, line: row.line ?? 0) }
            /// The type's code; nil when the line names none.
            let typeCode = row.withSessionType { $0.map { types.code($0) } }
            /// The type's text, as the session keeps it.
            var type: String { row.sessionType ?? "interactive" }
            let sid = row.sessionID
            func index() -> Int? {
                guard let sid else { return nil }
                // 0.7/0.8 delete lines say "session N" without a type: interactive first.
                guard let typeCode else {
                    return active[RunKey(type: TypeCodes.interactive, id: sid)]
                        ?? active[RunKey(type: TypeCodes.batch, id: sid)]
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
                if let n = Int(row.detail ?? ""), n > 0 {
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
                b.owner = row.owner.flatMap { $0 == "null" ? nil : $0 }
                b.proxyUser = row.proxyUser
                b.kind = row.kind
                b.queue = row.queue
                b.driverMemory = row.driverMemory
                b.driverCores = row.driverCores
                b.executorMemory = row.executorMemory
                b.executorCores = row.executorCores
                b.numExecutors = row.numExecutors
                b.conf = executorConf(row.conf)
                b.ownTimeout = row.detail.flatMap(livyDurationSeconds)
                b.fileID = row.fileID ?? 0
                b.line = row.line ?? 0
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
                    if let app = row.appID {
                        all[i].appID = app
                        all[i].appLink = "ready_line"
                    }
                    if all[i].owner == nil { all[i].owner = row.owner }
                    if all[i].proxyUser == nil { all[i].proxyUser = row.proxyUser }
                    if all[i].kind == nil { all[i].kind = row.kind }
                case .idleTimeout:
                    if all[i].idleLine == nil {
                        all[i].idleLine = mark
                        let printed = row.detail
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
}
