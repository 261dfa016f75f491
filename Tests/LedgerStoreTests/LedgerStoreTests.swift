import Foundation
import GRDB
import LedgerModel
import LedgerSQLite
import LedgerTestSupport
import Testing

@testable import LedgerStore

@Suite("The store: schema, one transaction per file, duplicates, replacement")
struct LedgerStoreTests {
    static func app(_ id: String, name: String) -> [SQLValue] {
        var row = [SQLValue](repeating: .null, count: columns.count)
        row[0] = .text(id)
        row[2] = .text("2024-01-01T00:00:00.000Z")
        row[3] = .text(name)
        return row
    }

    static let columns = ["app_id", "cluster_id", "logged_at", "name"]

    static func load(_ path: String, sha: String, apps: [(Int, String, String)], quarantine: [QuarantineEntry] = [])
        -> FileLoad
    {
        var batch = TableBatch(StagingTable("yarn_app", naturalKey: "app_id", columns: columns))
        for (line, id, name) in apps { batch.append(line: line, app(id, name: name)) }
        return FileLoad(
            path: path, size: 10, mtimeNanos: 1, sha256: sha, format: "yarn-rm", compression: .none,
            status: .ok, context: InputContext(clusterID: "j-1ABCDEFGHIJK"), lines: 5, batches: [batch],
            quarantine: quarantine)
    }

    // How this was seen to fail: with the store creating the file 0o644, the mode read back
    // was 420, not 384 (0o600).
    @Test("every table is STRICT and the database file is readable by its owner only")
    func createsStrictPrivateDatabase() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        let strict = try store.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name"
            )
            .map { "\($0["name"] as String)=\($0["strict"] as Int)" }
        }
        #expect(
            strict == [
                "cluster=1", "cluster_hour=1", "ct_digest=1", "ct_digest_file=1", "ct_event=1", "ct_file_digest=1",
                "emr_cluster=1",
                "finding=1", "identity=1", "ingest_setting=1",
                "input_file=1", "livy_event=1", "livy_request=1", "livy_rest_session=1", "livy_statement=1", "meta=1",
                "policy_change=1", "quarantine=1", "sagemaker_job=1", "sagemaker_job_state=1",
                "sagemaker_pipeline_execution=1", "sagemaker_pipeline_state=1",
                "security_configuration=1", "session=1",
                "yarn_app=1", "yarn_app_containers=1", "yarn_app_listing=1", "yarn_audit=1",
            ])
        let mode = try FileManager.default.attributesOfItem(atPath: dir.path + "/l.sqlite")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("rows keep their provenance; a second copy of an app id is dropped and counted")
    func storesProvenanceAndDropsDuplicates() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        let first = try store.load(
            Self.load("a.log", sha: "aa", apps: [(3, "application_1_0001", "x"), (7, "application_1_0002", "y")]))
        #expect(first == LoadOutcome(fileID: 1, records: 2, duplicates: 0, replaced: false))
        let second = try store.load(
            Self.load("b.log", sha: "bb", apps: [(1, "application_1_0002", "other"), (2, "application_1_0003", "z")]))
        #expect(second == LoadOutcome(fileID: 2, records: 1, duplicates: 1, replaced: false))
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT app_id, file_id, line, name FROM yarn_app ORDER BY app_id").map {
                "\($0["app_id"] as String) \($0["file_id"] as Int):\($0["line"] as Int) \($0["name"] as String)"
            }
        }
        #expect(rows == ["application_1_0001 1:3 x", "application_1_0002 1:7 y", "application_1_0003 2:2 z"])
        let counts = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT path, records, duplicates FROM input_file ORDER BY id").map {
                "\($0["path"] as String) \($0["records"] as Int) \($0["duplicates"] as Int)"
            }
        }
        #expect(counts == ["a.log 2 0", "b.log 1 1"])
    }

    @Test("loading a changed file replaces its rows and quarantine, keeping its id")
    func replacesAChangedFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try store.load(
            Self.load(
                "a.log", sha: "v1", apps: [(1, "application_1_0001", "old"), (2, "application_1_0002", "gone")],
                quarantine: [QuarantineEntry(line: 4, reason: "bad", excerpt: "x")]))
        let outcome = try store.load(Self.load("a.log", sha: "v2", apps: [(1, "application_1_0001", "new")]))
        #expect(outcome == LoadOutcome(fileID: 1, records: 1, duplicates: 0, replaced: true))
        let (names, quarantined, manifest) = try store.read { db in
            (
                try String.fetchAll(db, sql: "SELECT name FROM yarn_app ORDER BY app_id"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM quarantine"),
                try Row.fetchOne(db, sql: "SELECT id, sha256 FROM input_file")
            )
        }
        #expect(names == ["new"])
        #expect(quarantined == 0)
        #expect(manifest?["id"] == 1 && manifest?["sha256"] == "v2")
    }

    // Staging texts are bound where the batch holds them (no copy). How this was seen to fail:
    // with an empty text bound from no address, SQLite stored NULL for it.
    @Test("texts bound in place are stored byte for byte: empty, with a NUL, non-ASCII, long")
    func storesTextsInPlace() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        let long = String(repeating: "0123456789", count: 10_000)
        let names = ["", "a\u{0}b", "Zoë → 東京", long, "x"]
        _ = try store.load(
            Self.load(
                "a.log", sha: "aa", apps: names.enumerated().map { (i, name) in (i + 1, "application_1_000\(i)", name) }
            ))
        let rows = try store.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT typeof(name) AS type, hex(CAST(name AS BLOB)) AS bytes, line FROM yarn_app ORDER BY line")
        }
        #expect(rows.map { $0["type"] as String } == ["text", "text", "text", "text", "text"])
        #expect(rows.map { $0["bytes"] as String } == names.map { $0.utf8.map { String(format: "%02X", $0) }.joined() })
        #expect(rows.map { $0["line"] as Int } == [1, 2, 3, 4, 5])
    }

    // A table without a natural key takes its rows 64 to a statement; the rest one by one.
    // 150 rows: lines 1…140 and ten lines again. Line 3 and its repeat share the first
    // statement (rows 2 and 20), line 64 and its repeat the second (rows 64 and 70); line 1
    // comes again as the second's last row (127); seven repeats are in the one-by-one tail
    // (rows 143…149). Worked out by hand: the first copy of each line is kept, in batch order;
    // 140 stored, 10 dropped and counted.
    // How this was seen to fail: with a statement's duplicates (64 minus what it stored) not
    // counted, the outcome said 7 duplicates; with the line and the file id swapped in each
    // tuple, the load failed on the file id's foreign key.
    @Test("rows stored many to a statement: in order, first copy kept, duplicates counted")
    func storesRowsManyToAStatement() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        #expect(MultiRowInsert.rowsPerInsert == 64)
        var lines = Array(1...140)
        lines.insert(3, at: 20)  // in the first statement, after its first copy
        lines.insert(64, at: 70)  // in the second statement; its first copy ended the first
        lines.insert(1, at: 127)  // the last row of the second statement
        lines += [5, 65, 129, 140, 2, 99, 7]  // the one-by-one tail
        #expect(lines.count == 150)
        var batch = TableBatch(table: "livy_event", columns: ["at", "event", "session_id", "detail"])
        for (position, line) in lines.enumerated() {
            batch.append(
                line: line,
                [.text("2025-01-01T00:00:00Z"), .text("ready"), .integer(Int64(line)), .text("row \(position)")])
        }
        let outcome = try store.load(
            FileLoad(
                path: "livy.out", size: 10, mtimeNanos: 1, sha256: "aa", format: "livy-server", compression: .none,
                status: .ok, context: InputContext(clusterID: "j-1ABCDEFGHIJK"), lines: 150, batches: [batch]))
        #expect(outcome == LoadOutcome(fileID: 1, records: 140, duplicates: 10, replaced: false))
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT line, session_id, detail FROM livy_event ORDER BY rowid").map {
                "\($0["line"] as Int) \($0["session_id"] as Int) \($0["detail"] as String)"
            }
        }
        var firstPosition: [Int: Int] = [:]
        for (position, line) in lines.enumerated() where firstPosition[line] == nil { firstPosition[line] = position }
        let expected = lines.enumerated().filter { firstPosition[$0.element] == $0.offset }.map {
            "\($0.element) \($0.element) row \($0.offset)"
        }
        #expect(expected.count == 140)
        #expect(rows == expected)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT duplicates FROM input_file") } == 10)
    }

    // A derive runs in WAL mode; a run killed inside it leaves the ledger so.
    // How this was seen to fail: without the switch at opening, the mode read back was "wal".
    @Test("a ledger left in WAL mode is opened in a rollback journal")
    func opensWALLedgerInRollbackJournal() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/l.sqlite"
        _ = try LedgerStore(path: path)
        let left = try DatabaseQueue(path: path).writeWithoutTransaction {
            try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL")
        }
        #expect(left == "wal")
        let store = try LedgerStore(path: path)
        #expect(try store.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "delete")
    }

    // How this was seen to fail: without the pragma, the new ledger's pages were 4096 bytes;
    // with it run after the migrations, too (a database with tables keeps its page size).
    @Test("a new ledger has 16 KiB pages; a ledger made with 4 KiB pages keeps them and opens")
    func pageSizes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let new = try LedgerStore(path: dir.path + "/new.sqlite")
        #expect(try new.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 16384)
        let old = dir.path + "/old.sqlite"
        try DatabaseQueue(path: old).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA page_size = 4096")
            try db.execute(sql: "CREATE TABLE earlier (x)")
        }
        let reopened = try LedgerStore(path: old)
        #expect(try reopened.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 4096)
        #expect(try reopened.manifest().isEmpty)
    }

    @Test("the manifest reads back what was stored")
    func readsManifest() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try store.load(Self.load("a.log", sha: "aa", apps: []))
        try store.touch(path: "a.log", size: 99, mtimeNanos: 42)
        #expect(
            try store.manifest() == [
                "a.log": ManifestEntry(
                    id: 1, path: "a.log", size: 99, mtimeNanos: 42, sha256: "aa", status: .ok, format: "yarn-rm",
                    compression: .none, lines: 5, contentSHA256: "aa")
            ])
    }

    /// The values each listed CHECK allows, as the schema first wrote them (v2, v7).
    ///
    /// v9 rewrote the lists as chains of `=` (SQLite builds a temporary B-tree per row for an
    /// IN list).
    static let allowed: [(table: String, column: String, values: [String])] = [
        (
            "livy_event", "event",
            [
                "server_start", "server_stop", "recovered", "create", "ready", "deleting", "deleted",
                "stopping", "stopped", "idle_timeout", "finished_purge", "heartbeat_expired",
                "app_not_found", "app_submitted",
            ]
        ),
        ("livy_request", "action", ["create", "statement", "cancel", "delete", "other"]),
        ("session", "cost_basis", ["yarn", "requested", "none"]),
        ("finding", "severity", ["high", "medium", "low", "info"]),
    ]

    /// Inserts one row into `table` whose checked column is `value`; the other columns are filled
    /// with what their NOT NULL constraints need.
    static func insert(_ db: Database, _ table: String, _ value: String, _ n: Int) throws {
        switch table {
        case "livy_event":
            try db.execute(
                sql: "INSERT INTO livy_event (file_id, line, at, event) VALUES (1, ?, 't', ?)", arguments: [n, value])
        case "livy_request":
            try db.execute(
                sql:
                    "INSERT INTO livy_request (file_id, line, at, client, method, path, session_type, action, status) VALUES (1, ?, 't', 'c', 'POST', '/', 'interactive', ?, 201)",
                arguments: [n, value])
        case "session":
            try db.execute(
                sql: """
                    INSERT INTO session (session_key, cluster_id, livy_session_id, session_type, created_at, end_reason,
                      last_activity_at, activity_source, statements, duration_s, idle_tail_s, cost_basis, abandoned, file_id, line)
                    VALUES (?, 'c', 0, 'interactive', 't', 'still_running', 't', 'none', 0, 0, 0, ?, 0, 1, 1)
                    """,
                arguments: ["k\(n)", value])
        default:
            try db.execute(
                sql: "INSERT INTO finding (severity, code, subject, detail, evidence) VALUES (?, 'c', 's', 'd', 'e')",
                arguments: [value])
        }
    }

    // How this was seen to fail: with `OR event = 'app_submitted'` left out of v9, the first
    // expectation failed for that value; with `OR severity = 'bogus'` added, the second failed.
    @Test("the CHECKed columns take exactly their listed values (v9 rewrote the lists as comparisons)")
    func checkListsKeepTheirValues() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try store.load(Self.load("a.log", sha: "aa", apps: []))
        for (table, column, values) in Self.allowed {
            for (n, value) in values.enumerated() {
                #expect(throws: Never.self, "\(table).\(column) = \(value)") {
                    try store.write { try Self.insert($0, table, value, n + 1) }
                }
            }
            for (n, value) in ["bogus", "", values[0].uppercased(), values[0] + " "].enumerated() {
                #expect(throws: LedgerError.self, "\(table).\(column) = '\(value)'") {
                    try store.write { try Self.insert($0, table, value, 100 + n) }
                }
            }
        }
    }

    // How this was seen to fail: with v9's copy of `session` ordered `BY rowid DESC`, the rows
    // read back in the other order; without the copy of `livy_event`, it came back empty.
    @Test("a ledger made before v9 keeps its rows, their order and its indexes through the migration")
    func migratesFromV8() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/l.sqlite"
        let queue = try DatabaseQueue(path: path)
        try Schema.migrator.migrate(queue, upTo: "v8: meta")
        let before: [String] = try queue.write { db in
            try db.execute(
                sql:
                    "INSERT INTO input_file (path, size, mtime_ns, compression, status, timezone, lines, records, rejected, duplicates) VALUES ('a', 0, 0, 'none', 'ok', 'UTC', 0, 0, 0, 0)"
            )
            for (table, _, values) in Self.allowed {
                for (n, value) in values.reversed().enumerated() { try Self.insert(db, table, value, n + 1) }
            }
            return try Self.allowed.map { t in
                try String.fetchAll(db, sql: "SELECT \(t.column) FROM \(t.table) ORDER BY rowid").joined(separator: ",")
            }
        }
        try queue.close()
        let store = try LedgerStore(path: path)
        let (after, indexes) = try store.read { db in
            (
                try Self.allowed.map { t in
                    try String.fetchAll(db, sql: "SELECT \(t.column) FROM \(t.table) ORDER BY rowid").joined(
                        separator: ",")
                },
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('livy_event', 'livy_request', 'session', 'finding') ORDER BY name"
                )
            )
        }
        #expect(after == before)
        #expect(after.first?.hasPrefix("app_submitted,app_not_found") == true)
        #expect(indexes == ["finding_code", "livy_event_cluster", "livy_request_session", "session_cluster"])
    }

    @Test("a database that cannot be created is a typed error naming it")
    func reportsUnopenableDatabase() {
        #expect(throws: LedgerError.self) { try LedgerStore(path: "/nonexistent-dir/l.sqlite") }
    }
}
