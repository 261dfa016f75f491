import Foundation
import GRDB
import LedgerTestSupport
import Testing

/// `run --metrics`: the file node_exporter's textfile collector reads, checked with the Python
/// Prometheus client's own parser (`prometheus_client`, which `.ci/run` installs).
@Suite("run --metrics: a Prometheus text file a real parser reads")
struct MetricsTests {
    /// Each sample of the file as the parser read it: "name{k=v,…}" → value.
    static func parse(_ path: String) throws -> [String: Double] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                assert family.type == "gauge", family.name
                assert family.documentation, family.name
                for s in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                    out[s.name + ("{" + labels + "}" if labels else "")] = s.value
            print(json.dumps(out))
            """
        let r = try CLI.python(["-c", script, path])
        try #require(
            r.status == 0,
            "the Prometheus parser refused the file (or python3's prometheus_client is missing: pip install prometheus_client): \(r.stderr)"
        )
        return try JSONDecoder().decode([String: Double].self, from: Data(r.stdout.utf8))
    }

    // Three runs into one file. The first: the fixtures' one cut .gz fails max_quarantined_files
    // = 0 (exit 3), and no run has succeeded yet. The second, with the gate at 5, succeeds (exit
    // 0): every file is unchanged, and last_success is its own end. The third has a config
    // that does not parse (exit 2): the ledger is not read, and the second run's success is
    // carried forward.
    @Test("every exit writes the file; the last success is carried through failed runs; nothing half-written")
    func threeRuns() throws {
        let (dir, config) = try RunCommandTests().setUp(gates: "max_quarantined_files = 0")
        defer { dir.remove() }
        let file = dir.path + "/metrics/session_ledger.prom"
        try FileManager.default.createDirectory(atPath: dir.path + "/metrics", withIntermediateDirectories: true)
        let before = Date().timeIntervalSince1970

        let first = try CLI.run(["run", "--config", config, "--metrics", file])
        #expect(first.status == 3)
        var m = try Self.parse(file)
        #expect(m["session_ledger_last_run_exit_code"] == 3)
        #expect(m["session_ledger_last_success_timestamp_seconds"] == nil)
        let end = try #require(m["session_ledger_last_run_end_timestamp_seconds"])
        #expect(end >= before.rounded(.down) && end <= Date().timeIntervalSince1970 + 1)
        #expect((m["session_ledger_last_run_duration_seconds"] ?? -1) >= 0)
        #expect(m["session_ledger_gate_value{gate=max_quarantined_files}"] == 1)
        #expect(m["session_ledger_gate_threshold{gate=max_quarantined_files}"] == 0)
        #expect(m["session_ledger_gate_failed{gate=max_quarantined_files}"] == 1)
        #expect(m["session_ledger_files{status=truncated}"] == 1 && m["session_ledger_files{status=corrupt}"] == 0)
        // The rest against the ledger itself.
        let ledger = try DatabaseQueue(path: dir.path + "/state/ledger.sqlite")
        let (files, read, kept, sessions, cost, findings) = try ledger.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM input_file")!,
                try Int.fetchOne(db, sql: "SELECT sum(lines) FROM input_file")!,
                try Int.fetchOne(db, sql: "SELECT sum(records) FROM input_file")!,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM session")!,
                try Double.fetchOne(db, sql: "SELECT total(cost_usd) FROM session")!,
                try [String: Int](
                    uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT severity, count(*) FROM finding GROUP BY 1").map
                    {
                        ($0[0] as String, $0[1] as Int)
                    })
            )
        }
        #expect(m["session_ledger_last_run_files{action=loaded}"] == Double(files))
        #expect(m["session_ledger_last_run_files{action=unchanged}"] == 0)
        #expect(m["session_ledger_records_read"] == Double(read) && m["session_ledger_records_kept"] == Double(kept))
        #expect(m["session_ledger_sessions"] == 10 && sessions == 10)
        #expect(abs((m["session_ledger_cost_usd{part=total}"] ?? -1) - cost) < 1e-6)
        for severity in ["high", "medium", "low", "info"] {
            #expect(
                m["session_ledger_findings{severity=\(severity)}"] == Double(findings[severity] ?? 0), "\(severity)")
        }

        try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "max_quarantined_files = 0", with: "max_quarantined_files = 5")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let second = try CLI.run(["run", "--config", config, "--metrics", file])
        #expect(second.status == 0, "\(second.stderr)")
        m = try Self.parse(file)
        #expect(m["session_ledger_last_run_exit_code"] == 0)
        let succeeded = try #require(m["session_ledger_last_success_timestamp_seconds"])
        #expect(succeeded == m["session_ledger_last_run_end_timestamp_seconds"])
        #expect(m["session_ledger_last_run_files{action=unchanged}"] == Double(files))
        #expect(m["session_ledger_gate_failed{gate=max_quarantined_files}"] == 0)

        try "database = [".write(toFile: config, atomically: true, encoding: .utf8)
        let third = try CLI.run(["run", "--config", config, "--metrics", file])
        #expect(third.status == 2)
        m = try Self.parse(file)
        #expect(m["session_ledger_last_run_exit_code"] == 2)
        #expect(m["session_ledger_last_success_timestamp_seconds"] == succeeded)
        #expect(m["session_ledger_sessions"] == nil && m["session_ledger_last_run_files{action=loaded}"] == nil)
        // Only the file itself is left: its temporary twin was renamed into place.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/metrics") == ["session_ledger.prom"])
    }
}
