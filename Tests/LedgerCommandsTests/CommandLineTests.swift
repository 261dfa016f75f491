import Foundation
import LedgerTestSupport
import Testing

@Suite("The command line, run as a user would")
struct CommandLineTests {
    /// A ledger with the three ResourceManager fixtures ingested.
    func ledger() throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory("ledger-cli")
        try dir.write("logs/hadoop2/rm-appsummary.log", try Fixtures.bytes("rm/hadoop2/rm-appsummary.log"))
        try dir.write(
            "logs/emr/j-2AXXXXXXGAPLF/node/i-0123456789abcdef0/applications/hadoop-yarn/rm.log.gz",
            Gzip.compress(try Fixtures.bytes("rm/emr/yarn-yarn-resourcemanager-ip-172-31-23-116.log")))
        let db = dir.path + "/ledger.sqlite"
        let r = try CLI.run(["ingest", dir.path + "/logs", "--db", db])
        #expect(r.status == 0, "\(r.stderr)")
        return (dir, db)
    }

    @Test("ingest says what it did on stderr; a second run finds everything unchanged")
    func ingestTwice() throws {
        let (dir, db) = try ledger()
        defer { dir.remove() }
        let again = try CLI.run(["ingest", dir.path + "/logs", "--db", db])
        #expect(again.status == 0)
        #expect(again.stdout == "")
        #expect(again.stderr == "ingest → \(db): 2 file(s): 0 new, 0 replaced, 2 unchanged\n")
    }

    // A file name with a quote, a backslash and a tab must come back as it is (the summary is
    // encoded, not pieced together); a value that is absent is null, not left out.
    @Test("ingest --json prints a machine-readable summary on stdout")
    func ingestJSON() throws {
        let dir = try TemporaryDirectory("ledger-cli")
        defer { dir.remove() }
        let name = "rm \"a\\b\"\t.log"
        try dir.write(name, try Fixtures.bytes("rm/hadoop2/rm-appsummary.log"))
        let r = try CLI.run(["ingest", dir.path + "/" + name, "--db", dir.path + "/l.sqlite", "--json"])
        #expect(r.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["files_new"] as? Int == 1)
        #expect(object["records"] as? Int == 3)  // 2 summaries and 1 audit line
        #expect(object["derived"] as? Bool == true)
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(files.first?["format"] as? String == "yarn-rm")
        #expect(files.first?["path"] as? String == dir.path + "/" + name)
        #expect(files.first?["detail"] is NSNull)
    }

    @Test("query prints a table (NULL shown as NULL, numbers right-aligned); csv and json on request")
    func queryFormats() throws {
        let (dir, db) = try ledger()
        defer { dir.remove() }
        let sql = "select app_id, name, vcore_seconds from yarn_app order by app_id"
        let table = try CLI.run(["query", sql, "--db", db])
        #expect(table.status == 0)
        #expect(
            table.stdout == """
                app_id                          name                vcore_seconds
                ------------------------------  ------------------  -------------
                application_1349427720398_0001  QuasiMonteCarlo              NULL
                application_1488460948013_0003  word count, part 2             54
                application_1590702911576_0016  livy-session-3                326
                (3 rows)

                """)
        let csv = try CLI.run(["query", sql, "--db", db, "--format", "csv"])
        #expect(
            csv.stdout
                == "app_id,name,vcore_seconds\r\napplication_1349427720398_0001,QuasiMonteCarlo,\r\napplication_1488460948013_0003,\"word count, part 2\",54\r\napplication_1590702911576_0016,livy-session-3,326\r\n"
        )
        let json = try CLI.run([
            "query", "select app_id, vcore_seconds from yarn_app where vcore_seconds > 100", "--db", db, "--format",
            "json",
        ])
        #expect(json.stdout == "[{\"app_id\":\"application_1590702911576_0016\",\"vcore_seconds\":326}]\n")
    }

    // Two layers guard this: the statement's sqlite3_stmt_readonly check and the read-only
    // connection under it. Removing either one alone leaves this test green (the other still
    // refuses); it fails only when both are gone, which is the user-visible promise it states.
    @Test(
        "query refuses any statement that would write, and the ledger is unchanged",
        arguments: [
            "delete from yarn_app",
            "update yarn_app set user = 'x'",
            "drop table yarn_app",
            "insert into cluster values ('x', 1, null)",
            "pragma user_version = 7",
            "select 1; delete from yarn_app",
        ])
    func queryRefusesWrites(sql: String) throws {
        let (dir, db) = try ledger()
        defer { dir.remove() }
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let r = try CLI.run(["query", sql, "--db", db])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: query: "))
        #expect(r.stdout == "")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        let count = try CLI.run(["query", "select count(*) as n from yarn_app", "--db", db, "--format", "csv"])
        #expect(count.stdout == "n\r\n3\r\n")
    }

    // Two RM logs (yarn-rm, ok) and a junk file (unrecognised). The summary has a line per
    // format and status, whatever the number of files, and names the problem file; --files
    // lists every file. (Before, status printed every file: 10,000 lines at 10,000 files.)
    @Test("status summarises files by format and status and names the problem files; status --files lists every file")
    func statusShowsManifest() throws {
        let (dir, db) = try ledger()
        defer { dir.remove() }
        try dir.write("logs/junk.bin", [0x00, 0xFF, 0x13, 0x37])
        _ = try CLI.run(["ingest", dir.path + "/logs", "--db", db])
        let r = try CLI.run(["status", "--db", db])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.contains {
                $0.hasPrefix("yarn-rm ")
                    && $0.split(separator: " ", omittingEmptySubsequences: true).prefix(3) == ["yarn-rm", "ok", "2"]
            })
        #expect(lines.contains("Problem files (1; the first 20)"))
        #expect(lines.contains { $0.hasPrefix(dir.path + "/logs/junk.bin") && $0.contains("unrecognised") })
        #expect(!lines.contains { $0.hasPrefix(dir.path + "/logs/hadoop2/rm-appsummary.log") })
        #expect(lines.contains { $0.hasPrefix("j-2AXXXXXXGAPLF") && $0.hasSuffix("2020-06-20T20:11:48.001Z") })
        #expect(lines.last == "Integrity: ok (PRAGMA quick_check)")
        let files = try CLI.run(["status", "--files", "--db", db])
        #expect(files.status == 0)
        let fileLines = files.stdout.split(separator: "\n").map(String.init)
        #expect(
            fileLines.contains {
                $0.hasPrefix(dir.path + "/logs/hadoop2/rm-appsummary.log") && $0.contains("yarn-rm  ok")
            })
        #expect(fileLines.contains { $0.hasPrefix(dir.path + "/logs/junk.bin") && $0.contains("unrecognised") })
    }

    // samples/ has a log file for each of the week's 168 hours but the 2 of the gap: 166. Its
    // digests end Sunday 21:00; the four files delivered after it (21:05, 22:05, 23:05, 00:05)
    // wait for theirs; the file cut in transit does not match its digest; 166 − 4 − 1 = 161 do.
    @Test("status shows what the digests say of the CloudTrail files, pending ones apart")
    func statusShowsDigests() throws {
        let dir = try TemporaryDirectory("ledger-demo")
        defer { dir.remove() }
        #expect(try CLI.run(["demo", "--out", dir.path + "/out"], in: Fixtures.project).status == 0)
        let r = try CLI.run(["status", "--db", dir.path + "/out/ledger.sqlite"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map {
            $0.split(separator: " ", omittingEmptySubsequences: true).prefix(2).joined(separator: " ")
        }
        #expect(lines.contains("mismatch 1") && lines.contains("pending 4") && lines.contains("verified 161"))
        let invalid = try CLI.run([
            "report", "--db", dir.path + "/out/ledger.sqlite", "--from", "2025-02-31", "--out", dir.path + "/r",
        ])
        #expect(invalid.status == 2 && invalid.stderr.contains("2025-02-31"))
    }

    @Test("usage and config errors exit 2 naming what is wrong; a missing database exits 1")
    func exitCodes() throws {
        let dir = try TemporaryDirectory("ledger-cli")
        defer { dir.remove() }
        let config = try dir.write("c.toml", "[[inputs]]\npath = \"logs\"\nformat = \"yarn-rm\"\ncluster = 7\n")
        let badConfig = try CLI.run(["ingest", "--config", config])
        #expect(badConfig.status == 2)
        #expect(badConfig.stderr == "error: \(config):4: 'inputs.cluster' must be a string\n")
        let badFormat = try CLI.run(["ingest", dir.path, "--format", "nope", "--db", dir.path + "/l.sqlite"])
        #expect(badFormat.status == 2)
        #expect(
            badFormat.stderr
                == "error: unknown format 'nope'; known formats: cloudtrail, cloudtrail-digest, livy-request, livy-rest, livy-server, sagemaker-job-state, yarn-app-list, yarn-rm\n"
        )
        let missing = try CLI.run(["ingest", dir.path + "/nothing-here", "--db", dir.path + "/l.sqlite"])
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("error: \(dir.path)/nothing-here: cannot read: No such file or directory"))
        let noDB = try CLI.run(["query", "select 1", "--db", dir.path + "/none.sqlite"])
        #expect(noDB.status == 1)
        #expect(noDB.stderr.contains("no database here"))
        let noArgs = try CLI.run(["ingest"])
        #expect(noArgs.status == 64)  // ArgumentParser's usage error (EX_USAGE)
    }

    @Test("demo ingests the bundled samples and reports the cut file among them")
    func demoRuns() throws {
        let dir = try TemporaryDirectory("ledger-demo")
        defer { dir.remove() }
        let r = try CLI.run(["demo", "--out", dir.path + "/out"], in: Fixtures.project)
        #expect(r.status == 0, "\(r.stderr)")
        // Every file under the four inputs of samples/session-ledger.toml is read once.
        let files = try ["emr-logs", "glue", "AWSLogs", "sagemaker"].flatMap { root in
            try FileManager.default.subpathsOfDirectory(atPath: Fixtures.project + "/samples/" + root).filter {
                $0.hasSuffix(".gz") || $0.hasSuffix(".json")
            }
        }
        #expect(r.stdout.contains("\(files.count) file(s): \(files.count) new, 0 replaced, 0 unchanged"))
        #expect(r.stdout.contains("3 duplicate(s) dropped"))  // three sign-ins delivered twice (samples/README.md)
        #expect(r.stdout.contains("_20251119T0305Z_") && r.stdout.contains("error: truncated gzip"))
        // The scenario's sessions, one row each (samples/expected/sessions.json has 21).
        #expect(r.stdout.contains("(21 rows)"))
        for reason in [
            "user_deleted", "app_killed", "app_finished", "idle_timeout", "start_failed", "still_running",
            "heartbeat_expired", "server_restart",
        ] {
            #expect(r.stdout.contains(reason), "\(reason)")
        }
        // Run again: starts from an empty ledger, same result.
        let again = try CLI.run(["demo", "--out", dir.path + "/out"], in: Fixtures.project)
        #expect(again.stdout == r.stdout)
    }
}
