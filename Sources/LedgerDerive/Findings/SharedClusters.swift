import GRDB
import LedgerModel
import LedgerSQLite

extension FindingsDeriver {
    /// A session as the shared-cluster rules see it: numbers only, so that a year of sessions is
    /// a few tens of MB; the texts of the few that become findings are read again by rowid.
    struct Occupant {
        var rowid: Int64
        /// The user, as a number of ``SharedClusterRules/users``.
        var user: Int
        var created: Int64
        /// Its end, or the cluster's as-of time while it runs (`created_at` + `duration_s`).
        var closed: Int64
        var ready: Int64?
        var uncapped: Bool
        var failed: Bool
        /// The vCores it held: its YARN app's average (vcore_seconds over its life), else what it
        /// requested; none if it never started.
        var vcores: Double
    }

    /// `uncapped_session_on_shared_cluster` and `start_starved`: the shared-endpoint
    /// documentation's diagnosis, from the sessions' executor caps and times.
    ///
    /// A session runs from `created_at` to its end; two overlap when each starts before the other
    /// ends. Users are the user name, else the proxy user, else the owner (sessions with none are
    /// the Livy service user's).
    /// - `uncapped_session_on_shared_cluster`: a session that started (it has a ready time) with
    ///   no executor cap (`executor_cap_source` `none`) while another user's session was open on
    ///   the cluster. One that never started held no executors.
    /// - `start_starved`: a session that failed to start, or took more than 60 s to be ready (the
    ///   notebook's "did not start up in 60 seconds"), while another user's uncapped session held
    ///   the cluster: ready before the start ended, open after it began. It names those sessions.
    ///
    /// The same sweep fills `cluster_hour` (``SharedClusterRules/hours(_:)``).
    static func sharedClusterFindings(_ db: Database, _ add: Add) throws {
        var rules = SharedClusterRules()
        try db.execute(sql: "DELETE FROM cluster_hour")
        let hourRows = RawStatement(try db.makeStatement(sql: "INSERT INTO cluster_hour VALUES (?, ?, ?, ?, ?)"))
        func judge(_ cluster: String, _ sessions: [Occupant]) throws {
            try rules.judge(db, cluster, sessions, add)
            for hour in rules.hours(sessions) {
                try hourRows.execute([
                    .text(cluster), .text(SessionDeriver.iso(hour.hour)), .integer(Int64(hour.users)),
                    .optionalText(hour.top.map { rules.tableName($0.user) }),
                    hour.top.map { .real($0.vcoreSeconds) } ?? .null,
                ])
            }
        }
        // Read through SQLite's C API by position (RawStatement): GRDB's rows by name cost more
        // than the sweep itself. In the table's order, sorted here: reading through the
        // (cluster, created) index cost three times the scan. Instants are read on their bytes
        // (SQLite's unixepoch() was most of the query).
        let rows = RawStatement(
            try db.makeStatement(
                sql: """
                    SELECT s.rowid, s.cluster_id, coalesce(s.user_name, s.proxy_user, s.owner),
                           s.created_at, s.duration_s,
                           s.ready_at, s.executor_cap_source = 'none', s.end_reason = 'start_failed',
                           CASE WHEN s.end_reason = 'start_failed' THEN 0.0
                                WHEN s.vcore_seconds IS NOT NULL THEN s.vcore_seconds * 1.0 / max(s.duration_s, 1)
                                ELSE coalesce(s.requested_vcores, 0) END
                    FROM session s
                    """))
        var clusters: [String: [Occupant]] = [:]
        // Sessions come cluster by cluster (the derive writes them so): the cluster is compared
        // on its bytes, and a String made only when it changes.
        var cluster = ""
        var clusterBytes: [UInt8]?
        var sessions: [Occupant] = []
        while try rows.step() {
            let same = rows.withBytes(1) { b in
                clusterBytes.map { c in b.map { c.elementsEqual($0) } ?? false } ?? false
            }
            if !same {
                if clusterBytes != nil { clusters[cluster, default: []].append(contentsOf: sessions) }
                cluster = rows.text(1) ?? ""
                clusterBytes = Array(cluster.utf8)
                sessions.removeAll(keepingCapacity: true)
            }
            let created = rows.withBytes(3) { $0.flatMap(SessionDeriver.seconds) } ?? 0
            sessions.append(
                Occupant(
                    rowid: rows.integer(0) ?? 0, user: rules.user(rows.text(2)), created: created,
                    closed: created + (rows.integer(4) ?? 0),
                    ready: rows.withBytes(5) { $0.flatMap(SessionDeriver.seconds) },
                    uncapped: rows.integer(6) == 1, failed: rows.integer(7) == 1, vcores: rows.real(8) ?? 0))
        }
        if clusterBytes != nil { clusters[cluster, default: []].append(contentsOf: sessions) }
        sessions = []
        // SQLite's order of text (bytes), each cluster's sessions by creation, then as written.
        for name in clusters.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            var mine = clusters.removeValue(forKey: name) ?? []
            mine.sort { ($0.created, $0.rowid) < ($1.created, $1.rowid) }
            try judge(name, mine)
        }
    }

    /// The two rules over one cluster's sessions at a time, in the order they were created.
    struct SharedClusterRules {
        /// Every user seen, by number; `nil` (no user at all) is the Livy service user.
        private(set) var users: [String] = []
        private var numbers: [String: Int] = [:]
        /// A start slower than this is what a notebook reports as a failure (sparkmagic's 60 s).
        static let slowStartSeconds: Int64 = 60
        /// Names listed in a detail; the rest are counted.
        static let namesShown = 5

        /// The number of the Livy service user (sessions with no user), once seen.
        private var serviceUser: Int?

        mutating func user(_ name: String?) -> Int {
            if name == nil, let serviceUser { return serviceUser }
            let key = name ?? "the Livy service user"
            if name != nil, let n = numbers[key] { return n }
            users.append(key)
            if name == nil { serviceUser = users.count - 1 } else { numbers[key] = users.count - 1 }
            return users.count - 1
        }

        /// A user as the report tables name them: `(no user)` for the Livy service user.
        func tableName(_ user: Int) -> String {
            user == serviceUser ? "(no user)" : users[user]
        }

        /// The findings of one cluster's sessions, sorted by creation.
        func judge(_ db: Database, _ cluster: String, _ s: [Occupant], _ add: Add) throws {
            let texts = try db.makeStatement(
                sql: """
                    SELECT s.session_key, coalesce(f.path || ':' || s.line, '') AS evidence, s.ready_at,
                           s.peak_containers, s.peak_vcores
                    FROM session s LEFT JOIN input_file f ON f.id = s.file_id WHERE s.rowid = ?
                    """)
            func text(_ i: Int) throws -> (key: String, evidence: String, ready: String?, held: String) {
                let row = try Row.fetchOne(texts, arguments: [s[i].rowid])!
                // The most its app held, where the ResourceManager's container lines say.
                var held = ""
                if let containers = row["peak_containers"] as Int64? {
                    held = ", holding up to \(containers) containers"
                    if let vcores = row["peak_vcores"] as Int64? { held += " (\(vcores) vCores)" }
                }
                return (row["session_key"], row["evidence"], row["ready_at"], held)
            }
            // Sessions still open at the one being looked at, among those created before it.
            var open: [Int] = []
            // How many starts each session held back.
            var heldBack: [Int: Int] = [:]
            for i in s.indices {
                open.removeAll { s[$0].closed <= s[i].created }
                let me = s[i]
                if me.uncapped, me.ready != nil {
                    var others = Set<Int>()
                    for j in open where s[j].user != me.user { others.insert(s[j].user) }
                    var j = i + 1
                    while j < s.count, s[j].created < me.closed {
                        if s[j].user != me.user, s[j].closed > s[j].created { others.insert(s[j].user) }
                        j += 1
                    }
                    if !others.isEmpty {
                        let mine = try text(i)
                        let names = others.map { users[$0] }.sorted()
                        add(
                            "medium", "uncapped_session_on_shared_cluster", mine.key,
                            "\(users[me.user])'s session \(mine.key) ran with no executor cap (dynamic allocation, no "
                                + "spark.dynamicAllocation.maxExecutors) on \(cluster)\(mine.held) while other users' sessions ran: "
                                + "\(Self.list(names)); cap it: %%configure -f "
                                + #"{"conf":{"spark.dynamicAllocation.maxExecutors":"5"}}"#,
                            mine.evidence)
                    }
                }
                let startEnd = me.ready ?? me.closed
                if me.failed || (me.ready.map { $0 - me.created > Self.slowStartSeconds } ?? false) {
                    var holders: [Int] = []
                    func holds(_ j: Int) -> Bool {
                        s[j].user != me.user && s[j].uncapped && s[j].closed > me.created
                            && (s[j].ready.map { $0 < startEnd } ?? false)
                    }
                    for j in open where holds(j) { holders.append(j) }
                    var j = i + 1
                    while j < s.count, s[j].created < startEnd {
                        if holds(j) { holders.append(j) }
                        j += 1
                    }
                    if !holders.isEmpty {
                        for j in holders { heldBack[j, default: 0] += 1 }
                        let mine = try text(i)
                        holders.sort { (s[$0].created, $0) < (s[$1].created, $1) }
                        let named = try holders.map { j in (users[s[j].user], try text(j)) }
                        let how =
                            me.failed
                            ? "failed to start"
                            : "took \(me.ready! - me.created) s to start"
                        add(
                            "low", "start_starved", mine.key,
                            "\(users[me.user])'s session \(mine.key) \(how) while \(named.count == 1 ? "an uncapped session" : "uncapped sessions") held \(cluster): "
                                + Self.list(
                                    named.map { who, t in
                                        "\(who)'s \(t.key) (ready \(t.ready.map(FindingsDeriver.wholeSeconds) ?? "?"))"
                                    }),
                            ([mine.evidence] + named.map(\.1.evidence)).joined(separator: "; "))
                    }
                }
                open.append(i)
            }
            let update = try db.makeStatement(sql: "UPDATE session SET starts_held_back = ? WHERE rowid = ?")
            for (j, n) in heldBack.sorted(by: { $0.key < $1.key }) {
                try update.execute(arguments: [n, s[j].rowid])
            }
        }

        /// `a, b, c`, or the first ``namesShown`` and how many more.
        static func list(_ names: [String]) -> String {
            guard names.count > namesShown else { return names.joined(separator: ", ") }
            return names.prefix(namesShown).joined(separator: ", ") + " and \(names.count - namesShown) more"
        }
    }
}
