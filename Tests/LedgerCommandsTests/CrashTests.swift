import Foundation
import LedgerTestSupport
import Testing

@Suite("Killed at any moment, run again: the same ledger and reports as one clean run")
struct CrashTests {
    /// Sessions, manifest and findings as text, and the bytes of every report.
    func snapshot(_ db: String, reports: String) throws -> [String] {
        var out: [String] = []
        for sql in [
            "select * from session order by session_key",
            "select path, format, status, lines, records, rejected, duplicates, first_event, last_event from input_file order by path",
            "select * from finding order by code, subject, detail",
        ] {
            let r = try CLI.run(["query", sql, "--db", db, "--format", "csv"])
            out.append(r.stdout)
        }
        let r = try CLI.run([
            "report", "--db", db, "--config", Fixtures.project + "/samples/session-ledger.toml", "--out", reports,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        for name in try FileManager.default.contentsOfDirectory(atPath: reports).sorted() {
            out.append(name + "\n" + (try String(contentsOfFile: reports + "/" + name, encoding: .utf8)))
        }
        return out
    }

    // A real child process, killed with SIGKILL at an exact point of its run (the run kills
    // itself there when SESSION_LEDGER_CRASH_AT says so), then run again to the end. The
    // samples are 347 files. How this was seen to fail: with derive run only when the current
    // run stored something, the kill before the derive left the ledger without sessions for
    // good (the snapshot had no session rows).
    @Test(
        "SIGKILL at a point of an ingest, then a second ingest",
        arguments: [
            "file:1", "file:40", "file:200", "file:346", "before-derive", "inside-derive",
        ])
    func killedIngestRecovers(point: String) throws {
        let dir = try TemporaryDirectory("ledger-kill")
        defer { dir.remove() }
        let config = Fixtures.project + "/samples/session-ledger.toml"
        let clean = try CLI.run(
            ["ingest", "--config", config, "--db", dir.path + "/clean.sqlite"], in: Fixtures.project)
        #expect(clean.status == 0)
        let want = try snapshot(dir.path + "/clean.sqlite", reports: dir.path + "/clean-reports")

        let child = Process()
        child.executableURL = URL(fileURLWithPath: CLI.executable)
        child.arguments = ["ingest", "--config", config, "--db", dir.path + "/killed.sqlite"]
        child.currentDirectoryURL = URL(fileURLWithPath: Fixtures.project)
        child.environment = ProcessInfo.processInfo.environment.merging(["SESSION_LEDGER_CRASH_AT": point]) { _, new in
            new
        }
        child.standardError = FileHandle.nullDevice
        try child.run()
        child.waitUntilExit()
        #expect(
            child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL,
            "the run was not killed at \(point)")
        // The killed ledger can be queried at once, whatever the kill left (a hot journal; a
        // write-ahead log when killed while deriving).
        let peek = try CLI.run(["query", "SELECT count(*) FROM input_file", "--db", dir.path + "/killed.sqlite"])
        #expect(peek.status == 0, "\(peek.stderr)")
        let again = try CLI.run(
            ["ingest", "--config", config, "--db", dir.path + "/killed.sqlite"], in: Fixtures.project)
        #expect(again.status == 0, "\(again.stderr)")
        // Back in a rollback journal, whatever the kill left (a derive runs in WAL mode).
        let mode = try CLI.run([
            "query", "SELECT * FROM pragma_journal_mode", "--db", dir.path + "/killed.sqlite", "--format", "csv",
        ])
        #expect(mode.stdout == "journal_mode\r\ndelete\r\n")  // CSV lines end in CR LF
        #expect(try snapshot(dir.path + "/killed.sqlite", reports: dir.path + "/killed-reports") == want)
    }

    // A large log reaches the store in pieces of 4,096 rows, all inside the file's one
    // transaction. Killed after the second piece was written, the ledger holds nothing of the
    // file (and can be queried at once); run again, it holds all of it. How this was seen to
    // fail: the query after the kill failed with "attempt to write a readonly database" (a
    // read-only connection cannot roll back the killed run's journal; ReadOnlyLedger now lets
    // SQLite do so first); with a COMMIT after each piece (a mutation tried on purpose), the
    // ledger after the kill held 4,872 of the rows.
    @Test("SIGKILL in the middle of a large file: none of it is stored, then all of it")
    func killedInsideLargeFile() throws {
        let dir = try TemporaryDirectory("ledger-kill-large")
        defer { dir.remove() }
        let logs = dir.path + "/j-0LARGEFILE01/node/i-0c0c0c0c0c0c0c0c3/applications/hadoop-yarn"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let apps = 10_000
        let text = (0..<apps).map { i in
            "2025-11-24 08:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: "
                + "appId=application_1763971200000_\(String(format: "%05d", i)),name=job-\(i),user=u,queue=default,state=FINISHED,"
                + "submitTime=1763971200000,startTime=1763971201000,finishTime=1763971260000,finalStatus=SUCCEEDED,memorySeconds=1,vcoreSeconds=1\n"
        }.joined()
        try text.write(toFile: logs + "/yarn-yarn-resourcemanager-ip-10-0-0-9.log", atomically: true, encoding: .utf8)
        let db = dir.path + "/killed.sqlite"

        let child = Process()
        child.executableURL = URL(fileURLWithPath: CLI.executable)
        child.arguments = ["ingest", dir.path + "/j-0LARGEFILE01", "--db", db]
        child.environment = ProcessInfo.processInfo.environment.merging(["SESSION_LEDGER_CRASH_AT": "piece:2"]) {
            _, new in new
        }
        child.standardError = FileHandle.nullDevice
        try child.run()
        child.waitUntilExit()
        #expect(
            child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGKILL,
            "the run was not killed at piece 2")
        let half = try CLI.run([
            "query", "select (select count(*) from yarn_app) || ' ' || (select count(*) from input_file) as n", "--db",
            db, "--format", "csv",
        ])
        #expect(half.status == 0, "\(half.stderr)")
        #expect(half.stdout == "n\r\n0 0\r\n")  // CSV lines end in CRLF (RFC 4180)

        let again = try CLI.run(["ingest", dir.path + "/j-0LARGEFILE01", "--db", db])
        #expect(again.status == 0, "\(again.stderr)")
        let whole = try CLI.run([
            "query",
            "select count(*) as n, count(distinct app_id) as apps, min(line) as first, max(line) as last from yarn_app",
            "--db", db, "--format", "csv",
        ])
        #expect(whole.stdout == "n,apps,first,last\r\n10000,10000,1,10000\r\n")
    }
}
