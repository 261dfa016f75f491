import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// A directory of real-format ResourceManager logs in the layouts users have:
/// two EMR clusters in the S3 log-archive layout (gzipped; one multi-member), a Hadoop 2
/// `rm-appsummary.log` (plain), a cut `.gz`, and a file that is no log at all.
struct Scenario {
    static let emrCluster = "j-2AXXXXXXGAPLF"
    static let laptopCluster = "j-3BYYYYYYHBQMG"
    static let emrFile =
        "logs/elasticmapreduce/j-2AXXXXXXGAPLF/node/i-0123456789abcdef0/applications/hadoop-yarn/yarn-yarn-resourcemanager-ip-172-31-23-116.log.gz"
    static let laptopFile =
        "logs/elasticmapreduce/j-3BYYYYYYHBQMG/node/i-0fedcba9876543210/applications/hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-0-1.log.gz"
    static let hadoop2File = "logs/onprem/rm-appsummary.log"
    static let cutFile = "logs/onprem/yarn-yarn-resourcemanager-old.log.gz"
    static let notesFile = "logs/onprem/notes.txt"

    let dir: TemporaryDirectory
    var logs: String { dir.path + "/logs" }
    var database: String { dir.path + "/ledger.sqlite" }

    /// 400 summaries, app `n` with memorySeconds = n × 1000 and name `job-n`: a stored row can
    /// be checked for being whole.
    static let many: [UInt8] = Array(
        (1...400).map { n in
            let id = String(format: "application_1700000000000_%04d", n)
            return
                "2023-11-14 22:\(String(format: "%02d", n % 60)):00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=\(id),name=job-\(n),user=etl,queue=default,state=FINISHED,trackingUrl=N/A,appMasterHost=N/A,submitTime=1700000000000,startTime=1700000000100,finishTime=1700000100000,finalStatus=SUCCEEDED,memorySeconds=\(n * 1000),vcoreSeconds=\(n),applicationType=SPARK\n"
        }.joined().utf8)

    init() throws {
        dir = try TemporaryDirectory("ledger-ingest")
        let emr = try Fixtures.bytes("rm/emr/yarn-yarn-resourcemanager-ip-172-31-23-116.log")
        try dir.write(Self.emrFile, Gzip.compress(emr))
        // The Hadoop 3 log as two gzip members split at a line break, as rotating writers do.
        let laptop = try Fixtures.bytes("rm/hadoop3/yarn-liuxy-resourcemanager-LAPTOP-GCQQL01V.log")
        let half = laptop.firstIndex(of: 0x0A)! + 1
        try dir.write(Self.laptopFile, Gzip.compress(Array(laptop[..<half])) + Gzip.compress(Array(laptop[half...])))
        try dir.write(Self.hadoop2File, try Fixtures.bytes("rm/hadoop2/rm-appsummary.log"))
        let whole = Gzip.compress(Self.many)
        try dir.write(Self.cutFile, Array(whole.prefix(whole.count * 6 / 10)))
        try dir.write(Self.notesFile, "These are not logs.\nJust notes.\n")
    }

    func ingest(_ paths: [String]? = nil, timeZone: String? = nil) async throws -> IngestSummary {
        let store = try LedgerStore(path: database)
        let inputs = (paths ?? [logs]).map { Configuration.Input(path: $0, timeZone: timeZone) }
        return try await Ingestor(store: store, configuration: Configuration(), workers: 2).ingest(inputs)
    }

    func query<T>(_ body: (Database) throws -> T) throws -> T {
        try DatabaseQueue(path: database).read(body)
    }

    func databaseBytes() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: database)) }
}

@Suite("ingest: discover → decode → parse → load → derive, end to end")
struct IngestTests {
    @Test("every application summary is stored with its cluster from the EMR layout")
    func storesEveryApplication() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        let summary = try await s.ingest()
        #expect(summary.files.count == 5)
        let byCluster = try s.query { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT coalesce(cluster_id, '-') AS c, app_id FROM yarn_app WHERE app_id NOT LIKE 'application_1700000000000_%' ORDER BY app_id"
            )
            .map { "\($0["c"] as String) \($0["app_id"] as String)" }
        }
        #expect(
            byCluster == [
                "- application_1349427720398_0001",  // rm-appsummary.log, Hadoop 2.0 layout
                "- application_1488460948013_0003",  // rm-appsummary.log, Hadoop 2.x layout
                "j-2AXXXXXXGAPLF application_1590702911576_0016",  // EMR (thread) layout
                "j-3BYYYYYYHBQMG application_1637633166384_0001",  // Hadoop 3.3, 2nd gzip member
                "j-3BYYYYYYHBQMG application_1637633166384_0002",
            ])
        // Provenance: the EMR app is line 3 of its file.
        let provenance = try s.query { db in
            try Row.fetchOne(
                db,
                sql:
                    "SELECT f.path, a.line, f.instance_id FROM yarn_app a JOIN input_file f ON f.id = a.file_id WHERE a.app_id = 'application_1590702911576_0016'"
            )
        }
        #expect(provenance?["path"] == s.logs + String(Scenario.emrFile.dropFirst(4)))
        #expect(provenance?["line"] == 3)
        #expect(provenance?["instance_id"] == "i-0123456789abcdef0")
    }

    @Test("the manifest records status, counts and first/last event of every file")
    func recordsTheManifest() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        _ = try await s.ingest()
        let manifest = try s.query { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT path, format, status, compression, lines, records, rejected, duplicates, first_event, last_event FROM input_file ORDER BY path"
            )
        }
        func row(_ relative: String) throws -> Row {
            try #require(manifest.first { ($0["path"] as String).hasSuffix(relative) })
        }
        let laptop = try row(Scenario.laptopFile)
        #expect(laptop["format"] == "yarn-rm")
        #expect(laptop["status"] == "ok")
        #expect(laptop["compression"] == "gzip")
        #expect(laptop["records"] == 4)  // 2 summaries and 2 RMAuditLogger lines
        #expect(laptop["rejected"] == 1)  // the memorySeconds=12a line
        #expect(laptop["lines"] == 16)
        #expect(laptop["first_event"] == "2021-11-23T10:06:06.118Z")  // UTC: no time zone given
        #expect(laptop["last_event"] == "2021-11-23T12:20:05.500Z")
        let hadoop2 = try row(Scenario.hadoop2File)
        #expect(hadoop2["compression"] == "none")
        #expect(hadoop2["records"] == 3)  // 2 summaries and 1 audit line
        let notes = try row(Scenario.notesFile)
        #expect(notes["status"] == "unrecognised")
        #expect(notes["format"] == nil as String?)
        let quarantined = try s.query { db in
            try String.fetchAll(db, sql: "SELECT reason FROM quarantine ORDER BY reason")
        }
        #expect(quarantined.contains("yarn-rm: memorySeconds is not an integer: '12a'"))
    }

    // How this was seen to fail: with the decoder's end-inside-a-member check switched off, the
    // cut file was stored as "ok" and no diagnostic named it.
    @Test("a truncated .gz is reported by name; its whole lines and the good files are stored")
    func keepsGoodFilesBesideACutOne() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        let summary = try await s.ingest()
        let cut = try #require(summary.files.first { $0.path.hasSuffix(Scenario.cutFile) })
        #expect(cut.status == .truncated)
        let diagnostic = try #require(summary.diagnostics.first { $0.path.hasSuffix(Scenario.cutFile) })
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.description.contains("truncated gzip"))
        #expect(summary.files.filter { $0.status == .ok }.count == 3)
        // Every row read from the cut file is whole: memorySeconds = 1000 × its number.
        let rows = try s.query { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT name, memory_seconds FROM yarn_app WHERE app_id LIKE 'application_1700000000000_%' ORDER BY app_id"
            )
        }
        #expect(rows.count > 0 && rows.count < 400)
        for (i, r) in rows.enumerated() {
            #expect(r["name"] == "job-\(i + 1)")
            #expect(r["memory_seconds"] == (i + 1) * 1000)
        }
        #expect(cut.records == rows.count)
    }

    @Test("running the same ingest twice changes nothing, not one byte of the database")
    func isIdempotent() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        let first = try await s.ingest()
        #expect(first.derived)
        let before = try s.databaseBytes()
        let second = try await s.ingest()
        #expect(second.files.allSatisfy { $0.action == .unchanged })
        #expect(!second.derived)
        #expect(try s.databaseBytes() == before)
    }

    @Test("a touched file (new mtime, same bytes) is not read into new rows")
    func keepsTouchedFiles() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        _ = try await s.ingest()
        let path = s.logs + String(Scenario.hadoop2File.dropFirst(4))
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: path)
        let again = try await s.ingest()
        #expect(again.files.first { $0.path == path }?.action == .unchanged)
        #expect(
            try s.query { db in
                try Int64.fetchOne(db, sql: "SELECT mtime_ns FROM input_file WHERE path = ?", arguments: [path])
            } == 1_000_000_000_000_000)
    }

    @Test("a changed file replaces its old rows; a copy under another name, zipped or not, is a duplicate")
    func replacesChangedFilesAndSpotsCopies() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        _ = try await s.ingest()
        let path = s.logs + String(Scenario.hadoop2File.dropFirst(4))
        // Keep only the first summary line and add a new application.
        let lines = String(decoding: try Fixtures.bytes("rm/hadoop2/rm-appsummary.log"), as: UTF8.self).split(
            separator: "\n")
        let changed =
            lines[0] + "\n" + lines[1] + "\n"
            + "2017-03-02 15:00:00,000 INFO resourcemanager.RMAppManager$ApplicationSummary: appId=application_1488460948013_0009,name=new,user=hadoop,queue=default,state=FAILED,startTime=1488466000000,finishTime=1488466800000\n"
        try s.dir.write(Scenario.hadoop2File, changed)
        // A plain log that shares the EMR file's summary line (its content plus one more line),
        // and a plain copy of the EMR .gz's exact content (the same log, unzipped).
        try s.dir.write(
            "logs/copy/rm-appsummary-copy.log",
            try Fixtures.bytes("rm/emr/yarn-yarn-resourcemanager-ip-172-31-23-116.log") + Array("\n".utf8))
        try s.dir.write(
            "logs/copy/emr-unzipped.log", try Fixtures.bytes("rm/emr/yarn-yarn-resourcemanager-ip-172-31-23-116.log"))
        try s.dir.write(
            "logs/copy/emr.log.gz",
            try Data(contentsOf: URL(fileURLWithPath: s.logs + String(Scenario.emrFile.dropFirst(4)))).map { $0 })
        let again = try await s.ingest()
        #expect(again.files.first { $0.path == path }?.action == .replaced)
        #expect(again.files.first { $0.path.hasSuffix("copy/emr.log.gz") }?.status == .duplicate)
        #expect(again.files.first { $0.path.hasSuffix("copy/rm-appsummary-copy.log") }?.status == .ok)  // other content
        let unzipped = again.files.first { $0.path.hasSuffix("copy/emr-unzipped.log") }
        #expect(unzipped?.status == .duplicate)
        #expect(unzipped?.detail == "same content as \(s.logs + String(Scenario.emrFile.dropFirst(4)))")
        // The same app id in two files belongs to the one with the smaller path, whatever the
        // order they were read in: logs/copy/… < logs/elasticmapreduce/…, so the copy takes the
        // app over and the EMR file, read first, now counts it as a duplicate.
        #expect(again.files.first { $0.path.hasSuffix("copy/rm-appsummary-copy.log") }?.duplicates == 0)
        let emr = try s.query { db in
            try Row.fetchOne(
                db, sql: "SELECT records, duplicates FROM input_file WHERE path LIKE '%ip-172-31-23-116.log.gz'")
        }
        #expect(emr?["duplicates"] == 1)
        #expect(emr?["records"] == 2)  // its two RMAuditLogger lines; the summary is the copy's now
        let fromHadoop2 = try s.query { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT a.app_id FROM yarn_app a JOIN input_file f ON f.id = a.file_id WHERE f.path = ? ORDER BY a.app_id",
                arguments: [path])
        }
        #expect(fromHadoop2 == ["application_1488460948013_0003", "application_1488460948013_0009"])
    }

    // A large log reaches the store in pieces inside its one transaction, before its hash is
    // known; a copy, or the same bytes touched, is found only at the file's end and rolled back
    // whole. How this was seen to fail: with `keep` always true, the copy was stored as `ok`
    // (10,000 duplicates) and the touched file was `replaced`, its rows written again.
    @Test("a large file found at its end to be a copy, or merely touched, is rolled back, pieces and all")
    func rollsBackLargeCopies() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        let text = (0..<10_000).map { n in
            "2023-11-14 22:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: "
                + "appId=application_1700000000001_\(String(format: "%05d", n)),name=job-\(n),user=etl,queue=default,state=FINISHED,"
                + "startTime=1700000000100,finishTime=1700000100000,memorySeconds=1,vcoreSeconds=1\n"
        }.joined()
        try s.dir.write("logs/big/a.log", text)
        try s.dir.write("logs/big/b.log", text)
        let first = try await s.ingest()
        let a = first.files.first { $0.path.hasSuffix("big/a.log") }
        let b = first.files.first { $0.path.hasSuffix("big/b.log") }
        #expect(a?.status == .ok && a?.records == 10_000)
        #expect(b?.status == .duplicate && b?.records == 0 && b?.detail == "same bytes as \(s.logs)/big/a.log")
        let stored =
            "SELECT count(*), max(a.rowid) FROM yarn_app a JOIN input_file f ON f.id = a.file_id WHERE f.path LIKE '%big/a.log'"
        let before = try s.query { db in try Row.fetchOne(db, sql: stored) }
        #expect(before?[0] == 10_000)
        #expect(
            try s.query { db in
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM yarn_app WHERE app_id LIKE 'application_1700000000001_%'")
            } == 10_000)

        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 2_000_000)], ofItemAtPath: s.logs + "/big/a.log")
        let again = try await s.ingest()
        #expect(again.files.first { $0.path.hasSuffix("big/a.log") }?.action == .unchanged)
        let after = try s.query { db in try Row.fetchOne(db, sql: stored) }
        #expect(after == before, "the same rows, not written again")
    }

    @Test("the cluster table holds each cluster's as_of: the latest event in its inputs")
    func derivesClusters() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        _ = try await s.ingest()
        let clusters = try s.query { db in
            try Row.fetchAll(db, sql: "SELECT cluster_id, files, as_of FROM cluster ORDER BY cluster_id").map {
                "\($0["cluster_id"] as String) \($0["files"] as Int) \($0["as_of"] as String)"
            }
        }
        // Last timestamped lines: EMR fixture 20:11:48,001; Hadoop 3 fixture 12:20:05,500 (UTC).
        // The three files under logs/onprem/ name no cluster: they make up `unknown`, whose
        // as_of comes from the cut file's lines of 2023-11-14 (later than rm-appsummary.log's 2017).
        #expect(clusters.count == 3)
        #expect(
            Array(clusters.prefix(2)) == [
                "j-2AXXXXXXGAPLF 1 2020-06-20T20:11:48.001Z", "j-3BYYYYYYHBQMG 1 2021-11-23T12:20:05.500Z",
            ])
        #expect(clusters.last?.hasPrefix("unknown 3 2023-11-14T22:") == true)
    }

    @Test("an input's time zone moves its wall-clock times to UTC")
    func appliesTheInputTimeZone() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        _ = try await s.ingest([s.logs + "/elasticmapreduce/j-3BYYYYYYHBQMG"], timeZone: "Asia/Shanghai")
        let logged = try s.query { db in
            try String.fetchOne(
                db, sql: "SELECT logged_at FROM yarn_app WHERE app_id = 'application_1637633166384_0001'")
        }
        #expect(logged == "2021-11-23T02:06:56.714Z")  // 10:06:56,714 at UTC+8
        let tz = try s.query { db in try String.fetchOne(db, sql: "SELECT timezone FROM input_file") }
        #expect(tz == "Asia/Shanghai")
    }

    @Test("a missing input path fails before anything is written")
    func failsOnMissingPathBeforeWriting() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        await #expect(throws: LedgerError.self) { try await s.ingest([s.logs, s.dir.path + "/missing"]) }
        let files = try s.query { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM input_file") }
        #expect(files == 0)
    }

    @Test("real foreign logs from ../shared/realdata are recorded as unrecognised, not mis-parsed")
    func leavesRealForeignLogsUnrecognised() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        let summary = try await s.ingest([Fixtures.realdata + "/loghub-hadoop-spark"])
        #expect(summary.files.count == 2)
        #expect(summary.files.allSatisfy { $0.status == .unrecognised && $0.records == 0 })
    }

    // Read by hand: the start-up fragment has no lifecycle line (its OutOfMemoryError is a stack
    // trace); the ZooKeeper fragment ends with "LivyServer: Shutting down Livy server."; the 0.5
    // fragment is forwarded spark-submit output without an application id.
    @Test("real Livy server fragments are read as livy-server, a server stop among them")
    func readsRealLivyFragments() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        let summary = try await s.ingest([Fixtures.realdata + "/livy-log-fragments"])
        #expect(
            summary.files.map { "\(URL(fileURLWithPath: $0.path).lastPathComponent) \($0.format ?? "-") \($0.records)" }
                == [
                    "hdinsight-livy-server-startup-oom-2017-07-27.log livy-server 0",
                    "hdinsight-livy-zookeeper-fatal-2019-06-19.log livy-server 1",
                    "unattributed-livy-0.5-session-start-2018-06-09.log livy-server 0",
                ])
        let events = try s.query { db in try String.fetchAll(db, sql: "SELECT event || ' ' || at FROM livy_event") }
        #expect(events == ["server_stop 2019-06-19T08:27:08.000Z"])
    }
}

@Suite("ingest: files that could not be read")
struct UnreadableFileTests {
    // Root reads every file whatever its mode, so the unreadable state is put in the manifest
    // directly, as a file removed between discovery and reading would leave it.
    @Test("a file recorded as unreadable is read again even though its size and mtime match")
    func retriesUnreadableFiles() async throws {
        let s = try Scenario()
        defer { s.dir.remove() }
        let path = s.logs + String(Scenario.hadoop2File.dropFirst(4))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = Int64(try #require(attributes[.size] as? Int))
        var st = stat()
        #expect(stat(path, &st) == 0)
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        let store = try LedgerStore(path: s.database)
        _ = try store.load(
            FileLoad(
                path: path, size: size, mtimeNanos: mtime, sha256: nil, format: nil, compression: .none,
                status: .unreadable, context: InputContext(), detail: "cannot read: Permission denied"))
        let again = try await s.ingest([path])
        let report = try #require(again.files.first)
        #expect(report.action == .replaced)
        #expect(report.status == .ok)
        #expect(report.records == 3)  // 2 summaries and 1 audit line
    }
}
