import Foundation
import LedgerTestSupport
import Testing

@Suite("run, as cron runs it")
struct RunCommandTests {
    /// A config over the session fixtures (two clusters) and one cut .gz, with the given gates.
    func setUp(gates: String) throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory("ledger-run")
        let root = Fixtures.path("sessions")
        for file in try FileManager.default.subpathsOfDirectory(atPath: root) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + file, isDirectory: &isDirectory),
                !isDirectory.boolValue
            else { continue }
            try dir.write("logs/" + file, try Fixtures.bytes("sessions/" + file))
        }
        let whole = Gzip.compress(try Fixtures.bytes("rm/hadoop2/rm-appsummary.log"))
        try dir.write("logs/old/rm-appsummary.log.gz", Array(whole.prefix(whole.count / 2)))
        let config = try dir.write(
            "ledger.toml",
            """
            database = "state/ledger.sqlite"
            [[inputs]]
            path = "logs"
            [report]
            out = "reports"
            [gates]
            \(gates)
            """)
        try FileManager.default.createDirectory(atPath: dir.path + "/state", withIntermediateDirectories: true)
        return (dir, config)
    }

    @Test("a gate that holds: exit 0, nothing on stderr (not a terminal), the reports written")
    func gateHolds() throws {
        let (dir, config) = try setUp(gates: "max_quarantined_files = 5")
        defer { dir.remove() }
        let r = try CLI.run(["run", "--config", config])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(FileManager.default.fileExists(atPath: dir.path + "/reports/report.md"))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/reports/sessions.csv"))
    }

    // How this was seen to fail: with Gates.failures returning no failures, the run exited 0
    // with nothing on stderr and "exit_code": 0 in --json.
    @Test("a gate that fails: exit 3, and why on stderr; --json says so too")
    func gateFails() throws {
        let (dir, config) = try setUp(gates: "max_quarantined_files = 0\nmin_identity_coverage = 0.5")
        defer { dir.remove() }
        let r = try CLI.run(["run", "--config", config, "--json"])
        #expect(r.status == 3)
        // The cut .gz is the one damaged file; no identities are known, so coverage is 0 of 10.
        #expect(
            r.stderr.contains(
                "data-quality gate failed: 1 input file(s) with quarantined lines or damage, more than max_quarantined_files = 0 (see data_quality.csv)"
            ))
        #expect(
            r.stderr.contains(
                "data-quality gate failed: identity coverage 0 % (0 of 10 sessions), below min_identity_coverage = 50 % (see identity_audit.csv)"
            ))
        #expect(r.stderr.contains("old/rm-appsummary.log.gz: error: truncated gzip"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(object["exit_code"] as? Int == 3)
        #expect((object["gate_failures"] as? [String])?.count == 2)
    }

    /// Takes an exclusive flock on `$0`, writes its process id there as a run does, and becomes
    /// `sleep` holding it: one process holds the lock, so killing it frees the lock at once
    /// (flock(1) would leave a child holding it).
    static let holdLock = #"exec 9<>"$0" && flock 9 && echo $$ >&9 && exec sleep 30"#

    /// Starts a process holding the lock and waits until it has written its id.
    func holdTheLock(_ lock: String) throws -> Process {
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/bash")
        holder.arguments = ["-c", Self.holdLock, lock]
        try holder.run()
        for _ in 0..<250 where ((try? String(contentsOfFile: lock, encoding: .utf8)) ?? "").isEmpty { usleep(20_000) }
        return holder
    }

    // How this was seen to fail: with RunLock's flock call bypassed, the second run exited 0
    // while the lock was held, not 4.
    @Test("a second run while one holds the lock exits 4 and names the lock and its holder")
    func secondRunIsRefused() throws {
        let (dir, config) = try setUp(gates: "")
        defer { dir.remove() }
        let lock = dir.path + "/state/ledger.sqlite.lock"
        let holder = try holdTheLock(lock)
        defer {
            if holder.isRunning {
                kill(holder.processIdentifier, SIGKILL)
                holder.waitUntilExit()
            }
        }
        let r = try CLI.run(["run", "--config", config])
        #expect(r.status == 4)
        #expect(
            r.stderr
                == "error: another run holds the lock \(lock) (process \(holder.processIdentifier)); try again when it has finished\n"
        )
        kill(holder.processIdentifier, SIGKILL)  // SIGTERM may be ignored under the test runner
        holder.waitUntilExit()
        // The holder is gone: its lock went with it, and the next run proceeds.
        let again = try CLI.run(["run", "--config", config])
        #expect(again.status == 0, "\(again.stderr)")
    }

    // How this was seen to fail: with acquire() changed to treat a lock file that names a
    // process as held (a pid file without a liveness check), this run exited 4, not 0.
    @Test("a lock left by a killed run (its file still naming the dead process) is taken over")
    func staleLockIsTakenOver() throws {
        let (dir, config) = try setUp(gates: "")
        defer { dir.remove() }
        let lock = dir.path + "/state/ledger.sqlite.lock"
        let holder = try holdTheLock(lock)
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        #expect(try String(contentsOfFile: lock, encoding: .utf8) == "\(holder.processIdentifier)\n")
        let r = try CLI.run(["run", "--config", config])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stderr.contains("lock"))
    }
}
