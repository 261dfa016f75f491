import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// Every session's columns except the provenance of its create line (file ids follow the order
/// files were first stored in, which differs between a clean run and a staged one).
func sessionRows(_ database: String) throws -> [String] {
    try DatabaseQueue(path: database).read { db in
        try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY session_key").map { row in
            row.columnNames.filter { $0 != "file_id" && $0 != "line" && $0 != "end_evidence" }.map {
                "\($0)=\(row[$0] as DatabaseValue)"
            }.joined(separator: "|")
        }
    }
}

@Suite("Reliability: rotation, a run that died before deriving")
struct ReliabilityTests {
    static let cluster = "sessions/j-07TESTCLUSTER/node/i-0a0a0a0a0a0a0a0a1/applications"

    // How this was seen to fail: before moves were recognised, the rotated `.out.1` was taken
    // for a duplicate of the stored `.out`, and the new `.out` then replaced the old rows —
    // every session of the first server run was lost. Before content hashes, the later
    // `.out.1.gz` was read as a new file: 30 records stored again, every session twice.
    @Test("a rotated Livy log (.out → .out.1, a new .out, later .out.1.gz) keeps its rows and counts nothing twice")
    func rotationKeepsRows() async throws {
        let dir = try TemporaryDirectory("ledger-rotate")
        defer { dir.remove() }
        let run1 = try Fixtures.bytes(Self.cluster + "/livy/livy-livy-server.out.1")
        let run2 = try Fixtures.bytes(Self.cluster + "/livy/livy-livy-server.out")
        let base = "j-07TESTCLUSTER/node/i-0a0a0a0a0a0a0a0a1/applications"
        for (name, store) in [("clean", true), ("staged", false)] {
            let root = dir.path + "/" + name + "/" + base
            try FileManager.default.createDirectory(atPath: root + "/livy", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/hadoop-yarn", withIntermediateDirectories: true)
            try Data(try Fixtures.bytes(Self.cluster + "/livy/2025_03_03.request.log")).write(
                to: URL(fileURLWithPath: root + "/livy/2025_03_03.request.log"))
            try Data(try Fixtures.bytes(Self.cluster + "/hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-0-10.log"))
                .write(to: URL(fileURLWithPath: root + "/hadoop-yarn/rm.log"))
            if store {
                try Data(run1).write(to: URL(fileURLWithPath: root + "/livy/livy-livy-server.out.1"))
                try Data(run2).write(to: URL(fileURLWithPath: root + "/livy/livy-livy-server.out"))
            } else {
                try Data(run1).write(to: URL(fileURLWithPath: root + "/livy/livy-livy-server.out"))
            }
        }
        func ingest(_ name: String) async throws -> IngestSummary {
            let store = try LedgerStore(path: dir.path + "/\(name).sqlite")
            return try await Ingestor(store: store, configuration: Configuration()).ingest([
                Configuration.Input(path: dir.path + "/" + name)
            ])
        }
        _ = try await ingest("clean")
        _ = try await ingest("staged")
        // The server restarts: the launcher renames .out to .out.1 and writes a new .out.
        let livy = dir.path + "/staged/" + base + "/livy/"
        try FileManager.default.moveItem(atPath: livy + "livy-livy-server.out", toPath: livy + "livy-livy-server.out.1")
        try Data(run2).write(to: URL(fileURLWithPath: livy + "livy-livy-server.out"))
        let second = try await ingest("staged")
        #expect(second.files.first { $0.path.hasSuffix(".out.1") }?.action == .moved)
        #expect(second.files.first { $0.path.hasSuffix(".out") }?.action == .loaded)
        #expect(try sessionRows(dir.path + "/staged.sqlite") == (try sessionRows(dir.path + "/clean.sqlite")))
        #expect(try sessionRows(dir.path + "/clean.sqlite").count == 6)
        // Later, logrotate gzips the old log: .out.1 becomes .out.1.gz.
        try dir.write("staged/" + base + "/livy/livy-livy-server.out.1.gz", Gzip.compress(run1))
        try FileManager.default.removeItem(atPath: livy + "livy-livy-server.out.1")
        // And someone keeps a gzipped copy of the live log beside it (`gzip -k`).
        try dir.write("staged/" + base + "/livy/livy-livy-server.out.gz", Gzip.compress(run2))
        let third = try await ingest("staged")
        let moved = try #require(third.files.first { $0.path.hasSuffix(".out.1.gz") })
        #expect(moved.action == .moved)
        #expect(moved.detail == "moved from \(livy)livy-livy-server.out.1, compressed")
        let copy = try #require(third.files.first { $0.path.hasSuffix(".out.gz") })
        #expect(copy.status == .duplicate)
        #expect(copy.records == 0)
        #expect(try sessionRows(dir.path + "/staged.sqlite") == (try sessionRows(dir.path + "/clean.sqlite")))
        // The moved row now describes the .gz on disk: the next run finds nothing to read.
        let fourth = try await ingest("staged")
        #expect(fourth.files.allSatisfy { $0.action == .unchanged })
        #expect(!fourth.derived)
        let stored = try await DatabaseQueue(path: dir.path + "/staged.sqlite").read { db in
            try String.fetchAll(
                db, sql: "SELECT compression || ' ' || status FROM input_file WHERE path LIKE '%.out.1.gz'")
        }
        #expect(stored == ["gzip ok"])
    }

    // How this was seen to fail: with derive run only after something new was stored, a ledger
    // whose last run died after storing its files and before deriving stayed without sessions.
    @Test("files stored by a run that died before deriving are derived by the next run")
    func finishesAnInterruptedRun() async throws {
        let dir = try TemporaryDirectory("ledger-interrupted")
        defer { dir.remove() }
        let path = try dir.write("logs/rm-appsummary.log", try Fixtures.bytes("rm/hadoop2/rm-appsummary.log"))
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: Configuration()).ingest([
            Configuration.Input(path: dir.path + "/logs")
        ])
        #expect(try store.needsDerive() == false)
        // A file stored, the process killed before the derive transaction.
        _ = try store.load(
            FileLoad(
                path: dir.path + "/logs/other.log", size: 1, mtimeNanos: 1, sha256: "x", format: nil,
                compression: .none, status: .unrecognised, context: InputContext()))
        #expect(try store.needsDerive() == true)
        _ = path
        let next = try await Ingestor(store: store, configuration: Configuration()).ingest([
            Configuration.Input(path: dir.path + "/logs")
        ])
        #expect(next.derived)
        #expect(try store.needsDerive() == false)
    }

    // How this was seen to fail: with the read-on path switched off, the grown file was read
    // again from its start ("replaced"): the result was right, and the action check failed.
    // The manifest and event comparisons hold the read-on path to the result of one full read.
    @Test("a live Livy .out that grew is read on from where the last run stopped, with the same result as one read")
    func readsOnAGrowingFile() async throws {
        let dir = try TemporaryDirectory("ledger-grow")
        defer { dir.remove() }
        let run1 = String(decoding: try Fixtures.bytes(Self.cluster + "/livy/livy-livy-server.out.1"), as: UTF8.self)
        let lines = run1.split(separator: "\n", omittingEmptySubsequences: false)
        let cut = lines.count / 2
        let base = "j-07TESTCLUSTER/node/i-0a0a0a0a0a0a0a0a1/applications"
        for name in ["clean", "live"] {
            try dir.write(
                "\(name)/\(base)/livy/2025_03_03.request.log",
                try Fixtures.bytes(Self.cluster + "/livy/2025_03_03.request.log"))
            try dir.write(
                "\(name)/\(base)/hadoop-yarn/rm.log",
                try Fixtures.bytes(Self.cluster + "/hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-0-10.log"))
        }
        try dir.write("clean/\(base)/livy/livy-livy-server.out", run1)
        let live = try dir.write("live/\(base)/livy/livy-livy-server.out", lines[..<cut].joined(separator: "\n") + "\n")
        func ingest(_ name: String) async throws -> IngestSummary {
            let store = try LedgerStore(path: dir.path + "/\(name).sqlite")
            return try await Ingestor(store: store, configuration: Configuration()).ingest([
                Configuration.Input(path: dir.path + "/" + name)
            ])
        }
        _ = try await ingest("clean")
        _ = try await ingest("live")
        // The server writes on.
        let handle = try #require(FileHandle(forWritingAtPath: live))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(lines[cut...].joined(separator: "\n").utf8))
        try handle.close()
        let second = try await ingest("live")
        let grown = try #require(second.files.first { $0.path == live })
        #expect(grown.action == .appended)
        #expect(try sessionRows(dir.path + "/live.sqlite") == (try sessionRows(dir.path + "/clean.sqlite")))
        let manifest = { (db: String) throws -> [String] in
            try DatabaseQueue(path: db).read { d in
                try String.fetchAll(
                    d,
                    sql:
                        "SELECT format || ' ' || lines || ' ' || records || ' ' || rejected || ' ' || first_event || ' ' || last_event || ' ' || sha256 FROM input_file WHERE path LIKE '%server.out'"
                )
            }
        }
        #expect(try manifest(dir.path + "/live.sqlite") == (try manifest(dir.path + "/clean.sqlite")))
        let events = { (db: String) throws -> [String] in
            try DatabaseQueue(path: db).read { d in
                try String.fetchAll(d, sql: "SELECT line || ' ' || event || ' ' || at FROM livy_event ORDER BY line")
            }
        }
        #expect(try events(dir.path + "/live.sqlite") == (try events(dir.path + "/clean.sqlite")))
    }

    // How this was seen to fail: before the pipeline took overlong lines out, a 3 MB line in a
    // Livy log reached the parser cut and was dropped without a word (no quarantine row).
    @Test("a very long line is quarantined by name and line; the lines around it are read")
    func quarantinesOverlongLines() async throws {
        let dir = try TemporaryDirectory("ledger-long")
        defer { dir.remove() }
        let log = """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(pia), heartbeatTimeoutInSecond: 0]]
            25/03/05 09:10:00 WARN SparkYarnApp: \(String(repeating: "x", count: 3 << 20))
            25/03/05 09:20:00 INFO InteractiveSessionManager: Deleting session 0
            25/03/05 09:20:00 INFO InteractiveSessionManager: Deleted session 0

            """
        try dir.write("logs/j-LONGLINE0001/node/i-0e0e0e0e0e0e0e0e5/applications/livy/livy-livy-server.out", log)
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        let summary = try await Ingestor(store: store, configuration: Configuration()).ingest([
            Configuration.Input(path: dir.path + "/logs")
        ])
        let file = try #require(summary.files.first)
        #expect(file.status == .ok)
        #expect(file.rejected == 1)
        #expect(file.records == 4)  // server start, create, deleting, deleted
        let (reasons, sessions) = try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            (
                try String.fetchAll(db, sql: "SELECT line || ': ' || reason FROM quarantine"),
                try String.fetchAll(db, sql: "SELECT end_reason FROM session")
            )
        }
        #expect(reasons == ["3: line longer than 1 MiB, skipped"])
        #expect(sessions == ["start_failed"])  // created, never ready, deleted
    }

    // How this was seen to fail: before the pipeline checked lines for text, the NUL block and
    // the junk line were taken for stack-trace lines and dropped without a word, and the
    // Latin-1 line was read with U+FFFD in it: no quarantine rows, rejected = 0.
    @Test("binary junk, a NUL block and invalid UTF-8 inside text logs are quarantined by line; the rest is read")
    func quarantinesJunkLines() async throws {
        let dir = try TemporaryDirectory("ledger-junk")
        defer { dir.remove() }
        var livy = Array(
            """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(pia), heartbeatTimeoutInSecond: 0]]

            """.utf8)
        livy += [UInt8](repeating: 0, count: 4096) + [0x0A]  // line 3: a crash's zero block
        livy += [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x08, 0x08, 0xE9, 0x0A]  // line 4: zip bytes
        livy += Array("25/03/05 09:20:00 INFO InteractiveSessionManager: Deleting session 0\n".utf8)
        livy += Array("25/03/05 09:20:00 INFO InteractiveSessionManager: Deleted session 0\n".utf8)
        try dir.write("logs/j-JUNKLINES0001/node/i-0e0e0e0e0e0e0e0e5/applications/livy/livy-livy-server.out", livy)
        var rm = Array(
            "2025-03-05 09:30:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1741160000000_0001,name=caf"
                .utf8)
        rm += [0xE9]  // Latin-1 'é', not UTF-8
        rm += Array(
            ",user=pia,queue=default,state=FINISHED,trackingUrl=N/A,appMasterHost=N/A,submitTime=1741166400000,startTime=1741166401000,finishTime=1741166460000,finalStatus=SUCCEEDED,memorySeconds=10,vcoreSeconds=5,preemptedMemorySeconds=0,preemptedVcoreSeconds=0,preemptedAMContainers=0,preemptedNonAMContainers=0,preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK\n"
                .utf8)
        rm += Array(
            "2025-03-05 09:31:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1741160000000_0002,name=ok,user=pia,queue=default,state=FINISHED,trackingUrl=N/A,appMasterHost=N/A,submitTime=1741166400000,startTime=1741166401000,finishTime=1741166460000,finalStatus=SUCCEEDED,memorySeconds=10,vcoreSeconds=5,preemptedMemorySeconds=0,preemptedVcoreSeconds=0,preemptedAMContainers=0,preemptedNonAMContainers=0,preemptedResources=<memory:0\\, vCores:0>,applicationType=SPARK\n"
                .utf8)
        try dir.write(
            "logs/j-JUNKLINES0001/node/i-0e0e0e0e0e0e0e0e5/applications/hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-0-5.log",
            rm)
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        let summary = try await Ingestor(store: store, configuration: Configuration()).ingest([
            Configuration.Input(path: dir.path + "/logs")
        ])
        let byFormat = Dictionary(uniqueKeysWithValues: summary.files.map { ($0.format ?? "", $0) })
        let livyFile = try #require(byFormat["livy-server"])
        #expect(livyFile.status == .ok)
        #expect(livyFile.rejected == 2)
        let rmFile = try #require(byFormat["yarn-rm"])
        #expect(rmFile.rejected == 1)
        let (lines, reasons, sessions, apps) = try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            (
                try String.fetchAll(db, sql: "SELECT format || '=' || lines FROM input_file ORDER BY format"),
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT f.format || ':' || q.line || ': ' || q.reason FROM quarantine q JOIN input_file f ON f.id = q.file_id ORDER BY f.format, q.line"
                ),
                try String.fetchAll(db, sql: "SELECT end_reason FROM session"),
                try String.fetchAll(db, sql: "SELECT app_id FROM yarn_app")
            )
        }
        #expect(lines == ["livy-server=6", "yarn-rm=2"])  // every line counted, the skipped ones too
        #expect(
            reasons == [
                "livy-server:3: control byte 0x00 at column 1, not a line of text, skipped",
                "livy-server:4: control byte 0x03 at column 3, not a line of text, skipped",
                "yarn-rm:1: invalid UTF-8 at column 154, not a line of text, skipped",
            ])
        #expect(sessions == ["start_failed"])
        #expect(apps == ["application_1741160000000_0002"])
    }
}
