import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// A small ledger written by hand, and every report's rows worked out by hand from it.
///
/// Sessions (2025-01-01, UTC; cluster c1 and c2 have as_of 12:00:00):
///
/// | key | cluster | user (cost centre) | created | ended | duration | idle tail | interactive / background | policy | cost / idle / background $ | abandoned | identity |
/// |---|---|---|---|---|---|---|---|---|---|---|---|
/// | s1 | c1 | alice (CC-A) | 09:00 | 10:00 | 3600 | 900 | 3600 / 0 | background | 1.00 / 0.25 / 0 | 0 | propagated (2) |
/// | s2 | c1 | bob (CC-B) | 09:30 | 11:30 | 7200 | 5400 | 1800 / 5400 | interactive | 2.00 / 1.50 / 1.50 | 1 | asserted (0) |
/// | s3 | c1 | alice (CC-A) | 10:15 | — (running) | 6300 | 6000 | — | interactive | 0.63 / 0.60 / — | 1 | propagated (1) |
/// | s4 | c2 | — | 11:00 | 11:02 (start_failed) | 120 | 120 | — | — | — (none) | 0 | missing |
struct HandLedger {
    let dir: TemporaryDirectory
    var database: String { dir.path + "/l.sqlite" }

    init() throws {
        dir = try TemporaryDirectory.removedAtExit("ledger-reports")
        let store = try LedgerStore(path: database)
        try store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO input_file (id, path, size, mtime_ns, sha256, format, compression, status, timezone, lines, records, rejected, duplicates, first_event, last_event, detail)
                    VALUES (1, 'logs/a.out.gz', 10, 1, 'aa', 'livy-server', 'gzip', 'ok', 'UTC', 50, 12, 0, 0, '2025-01-01T08:00:00.000Z', '2025-01-01T12:00:00.000Z', NULL),
                           (2, 'logs/b.json.gz', 20, 1, 'bb', 'cloudtrail', 'gzip', 'truncated', 'UTC', 3, 1, 1, 0, NULL, NULL, 'truncated gzip');
                    INSERT INTO cluster (cluster_id, files, as_of) VALUES ('c1', 1, '2025-01-01T12:00:00.000Z'), ('c2', 1, '2025-01-01T12:00:00.000Z');
                    """)
            let insert = """
                INSERT INTO session (session_key, cluster_id, livy_session_id, session_type, owner, proxy_user, user_id, user_name, cost_center,
                  created_at, ended_at, end_reason, last_activity_at, activity_source, statements, duration_s, idle_tail_s, interactive_s,
                  background_s, mode_observed, mode_policy, cost_basis, cost_usd, idle_cost_usd, background_cost_usd, abandoned, identity_status,
                  onbehalfof_events, propagation_basis, file_id, line)
                VALUES (?, ?, ?, 'interactive', NULL, ?, ?, ?, ?, ?, ?, ?, ?, 'request_log', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)
                """
            let rows: [[(any DatabaseValueConvertible)?]] = [
                [
                    "s1", "c1", 0, "alice", "u-a", "alice", "CC-A", "2025-01-01T09:00:00Z", "2025-01-01T10:00:00Z",
                    "user_deleted", "2025-01-01T09:45:00Z", 3600, 900, 3600, 0, "interactive", "background", "yarn",
                    1.0, 0.25, 0.0, 0, "propagated", 2, "cluster_role",
                ],
                [
                    "s2", "c1", 1, "bob", "u-b", "bob", "CC-B", "2025-01-01T09:30:00Z", "2025-01-01T11:30:00Z",
                    "idle_timeout", "2025-01-01T10:00:00Z", 7200, 5400, 1800, 5400, "background", "interactive", "yarn",
                    2.0, 1.5, 1.5, 1, "asserted", 0, "any_role",
                ],
                [
                    "s3", "c1", 2, "alice", "u-a", "alice", "CC-A", "2025-01-01T10:15:00Z", nil, "still_running",
                    "2025-01-01T10:20:00Z", 6300, 6000, nil, nil, "unknown", "interactive", "requested", 0.63, 0.6, nil,
                    1, "propagated", 1, "cluster_role",
                ],
                [
                    "s4", "c2", 0, nil, nil, nil, nil, "2025-01-01T11:00:00Z", "2025-01-01T11:02:00Z", "start_failed",
                    "2025-01-01T11:00:00Z", 120, 120, nil, nil, "unknown", nil, "none", nil, nil, nil, 0, "missing",
                    nil, nil,
                ],
            ]
            for row in rows { try db.execute(sql: insert, arguments: StatementArguments(row)) }
            try db.execute(
                sql: """
                    INSERT INTO policy_change VALUES ('2025-01-01T07:00:00.000Z', '111', 'arn:admin', 'PutApplicationSessionConfiguration', 'app-1', 'UserBackgroundSessionApplicationStatus', NULL, 'ENABLED', 'e1'),
                                                     ('2025-01-02T07:00:00.000Z', '111', 'arn:admin', 'PutApplicationSessionConfiguration', 'app-1', 'UserBackgroundSessionApplicationStatus', 'ENABLED', 'DISABLED', 'e2');
                    INSERT INTO finding VALUES ('info', 'policy_change', 'app-1', 'enabled', 'eventID e1'),
                                               ('high', 'unexpected_background', 's2', 'ran 5400 s', 'logs/a.out.gz:7'),
                                               ('medium', 'identity_unresolved', 's9', 'x', 'logs/a.out.gz:9');
                    INSERT INTO ct_file_digest VALUES (2, 'pending', 'no digest of 111/us-east-1 in the data');
                    UPDATE session SET account_id = '111' WHERE cluster_id = 'c1';
                    UPDATE session SET user_account_id = '444' WHERE session_key = 's1';
                    INSERT INTO cluster_hour VALUES ('c1', '2025-01-01T09:00:00Z', 2, 'alice', 5400.0),
                                                    ('c1', '2025-01-01T10:00:00Z', 2, 'bob', 7200.0),
                                                    ('c1', '2025-01-01T11:00:00Z', 2, 'alice', 3600.0);
                    INSERT INTO sagemaker_job VALUES ('job-1', 'training', '111', '2025-01-01T08:00:00Z', '2025-01-01T09:00:00Z', 'u-a', 'alice', 'propagated', 86400, 604800, 86400, 'e3', 'Failed', 'ClientError: x, y', 'EventBridge logs/e.gz:3', NULL, NULL, 'onBehalfOf of CreateTrainingJob eventID e3'),
                                                     ('pipelines-ab12-Train-x', 'training', '111', '2025-01-01T10:05:00Z', NULL, 'u-b', 'bob', 'asserted', 3600, 603900, 3600, 'e5', NULL, NULL, NULL, 'arn:p/execution/ab12', 'Train', 'onBehalfOf of StartPipelineExecution eventID e4');
                    INSERT INTO sagemaker_pipeline_execution VALUES
                      ('arn:p/execution/ab12', 'churn', '111', '2025-01-01T10:00:00Z', '2025-01-01T11:00:00Z', 'Succeeded', NULL, 'u-b', 'bob', 'propagated', 1, 'e4', 'EventBridge logs/e.gz:9'),
                      ('arn:p/execution/zz99', 'churn', '111', NULL, '2025-01-03T01:00:00Z', 'Failed', 'Step failure', NULL, NULL, 'unknown', 0, NULL, 'EventBridge logs/e.gz:12'),
                      ('arn:p/execution/old1', 'churn', '111', '2024-12-31T23:00:00Z', NULL, 'Executing', NULL, NULL, NULL, 'missing', 0, 'e0', 'EventBridge logs/e.gz:1');
                    """)
        }
    }

    /// The reports of the whole window, CSV text by file name.
    func reports() throws -> [String: String] {
        let out = dir.path + "/out"
        let reporting = Reporting(
            queriesDirectory: Fixtures.project + "/Queries", templatesDirectory: Fixtures.project + "/Reports/templates"
        )
        let files = try reporting.write(
            database: database, configuration: Configuration(), to: out, window: .all, only: [], toolVersion: "test")
        var texts: [String: String] = [:]
        for file in files {
            texts[file] = try String(contentsOfFile: out + "/" + file, encoding: .utf8).replacingOccurrences(
                of: "\r\n", with: "\n")
        }
        return texts
    }
}

@Suite("Each report against a hand-built ledger")
struct ReportTests {
    static let ledger = Task { () throws -> [String: String] in try HandLedger().reports() }

    func csv(_ name: String) async throws -> String { try #require(try await Self.ledger.value[name]) }

    // Nearest rank: p = the value at rank ceil(p × n / 100) of the sorted durations.
    // c1/alice: 3600 s and 6300 s → p50 = rank 1 = 60 min, p90 = rank 2 = 105 min; 9900 s = 2.75 h.
    @Test("session duration: totals and nearest-rank percentiles")
    func sessionDuration() async throws {
        #expect(
            try await csv("session_duration.csv") == """
                cluster_id,user_name,sessions,total_hours,p50_minutes,p90_minutes,max_minutes
                c1,alice,2,2.7500,60.0000,105.0000,105.0000
                c1,bob,1,2.0000,120.0000,120.0000,120.0000
                c2,(no user),1,0.0333,2.0000,2.0000,2.0000

                """)
    }

    // alice: interactive 3600 s (s3 unknown) = 1 h, background 0; bob: 0.5 h and 1.5 h, share
    // 5400 / 7200 = 0.75, $1.50, and s2 ran in background against policy.
    @Test("background vs interactive per user")
    func usageMode() async throws {
        #expect(
            try await csv("usage_mode.csv") == """
                user_name,cost_center,sessions,interactive_hours,background_hours,background_share,background_cost_usd,unexpected_background_sessions
                bob,CC-B,1,0.5000,1.5000,0.7500,1.5000,1
                (no user),,1,0.0000,0.0000,,0.0000,0
                alice,CC-A,2,1.0000,0.0000,0.0000,0.0000,0

                """)
    }

    @Test("abandoned sessions, longest idle tail first")
    func abandoned() async throws {
        #expect(
            try await csv("abandoned_sessions.csv") == """
                session_key,cluster_id,user_name,created_at,last_activity_at,ended_at,end_reason,idle_tail_s,idle_cost_usd
                s3,c1,alice,2025-01-01T10:15:00Z,2025-01-01T10:20:00Z,,still_running,6000,0.6000
                s2,c1,bob,2025-01-01T09:30:00Z,2025-01-01T10:00:00Z,2025-01-01T11:30:00Z,idle_timeout,5400,1.5000

                """)
    }

    // s2: $2 / 7200 s; s3: $0.63 / 6300 s = $0.0001 per s. T = 15 min: (5400 − 900) × 2/7200 +
    // (6000 − 900) × 0.0001 = 1.25 + 0.51 = 1.76, hours (4500 + 5100) / 3600 = 2.6667; T = 30:
    // 1.00 + 0.42 = 1.42, 2.1667 h; T = 60: 0.50 + 0.24 = 0.74, 1.1667 h; longer: nobody.
    @Test("idle-timeout what-if")
    func whatIf() async throws {
        #expect(
            try await csv("idle_timeout_whatif.csv") == """
                timeout_minutes,sessions_affected,idle_hours_saved,cost_saved_usd
                15,2,2.6667,1.7600
                30,2,2.1667,1.4200
                60,2,1.1667,0.7400
                120,0,0.0000,0.0000
                240,0,0.0000,0.0000
                480,0,0.0000,0.0000

                """)
    }

    // alice: $1.00 + $0.63, idle $0.25 + $0.60 = $0.85, share 0.85 / 1.63 = 0.5215.
    @Test("cost by user and by cluster")
    func cost() async throws {
        #expect(
            try await csv("cost_by_user.csv") == """
                user_name,cost_center,sessions,cost_usd,idle_cost_usd,background_cost_usd,idle_share
                bob,CC-B,1,2.0000,1.5000,1.5000,0.7500
                alice,CC-A,2,1.6300,0.8500,0.0000,0.5215
                (no user),,1,0.0000,0.0000,0.0000,

                """)
        // c1: $3.63, idle $2.35 (share 0.6474), background $1.50, in account 111; c2's unknown.
        #expect(
            try await csv("cost_by_cluster.csv") == """
                cluster_id,sessions,cost_usd,idle_cost_usd,background_cost_usd,idle_share,account_id
                c1,3,3.6300,2.3500,1.5000,0.6474,111
                c2,1,0.0000,0.0000,0.0000,,

                """)
        // Account 111 is c1's; s1's user came from 444: one session of $1.00 across accounts.
        #expect(
            try await csv("cost_by_account.csv") == """
                account_id,sessions,cost_usd,idle_cost_usd,background_cost_usd,idle_share,cross_account_sessions,cross_account_cost_usd
                111,3,3.6300,2.3500,1.5000,0.6474,1,1.0000
                (unknown),1,0.0000,0.0000,0.0000,,0,0.0000

                """)
    }

    @Test("identity audit: missing first, then asserted, then propagated")
    func identityAudit() async throws {
        #expect(
            try await csv("identity_audit.csv") == """
                session_key,cluster_id,proxy_user,user_id,user_name,identity_status,onbehalfof_events,mode_policy,mode_observed,propagation_basis
                s4,c2,,,,missing,,,unknown,
                s2,c1,bob,u-b,bob,asserted,0,interactive,background,any_role
                s1,c1,alice,u-a,alice,propagated,2,background,interactive,cluster_role
                s3,c1,alice,u-a,alice,propagated,1,interactive,unknown,cluster_role

                """)
    }

    // c1: s1 09:00–10:00, s2 09:30–11:30, s3 10:15–12:00 (as_of). 09h: two open at 09:30;
    // 10h: s1 closed at 10:00, s2 and s3 open at 10:15; 11h: s2 and s3. c2: s4 started and failed.
    // The last four columns are cluster_hour's, as inserted (vCore-seconds / 3600; users × 5 + 1);
    // c2's hour has no row there: no user, no worker.
    @Test("contention per cluster and hour")
    func contention() async throws {
        #expect(
            try await csv("contention.csv") == """
                cluster_id,hour,max_concurrent_sessions,sessions_started,sessions_start_failed,top_user,top_user_vcore_hours,max_concurrent_users,workers_needed_at_cap_5
                c1,2025-01-01T09:00:00Z,2,2,0,alice,1.5000,2,11
                c1,2025-01-01T10:00:00Z,2,1,0,bob,2.0000,2,11
                c1,2025-01-01T11:00:00Z,2,0,0,alice,1.0000,2,11
                c2,2025-01-01T11:00:00Z,1,1,1,,,0,0

                """)
    }

    @Test("policy timeline, findings (most severe first), SageMaker jobs, data quality (problems first)")
    func auditReports() async throws {
        #expect(
            try await csv("policy_changes.csv") == """
                event_time,account_id,actor,event_name,target,setting,old_value,new_value,event_id
                2025-01-01T07:00:00Z,111,arn:admin,PutApplicationSessionConfiguration,app-1,UserBackgroundSessionApplicationStatus,,ENABLED,e1
                2025-01-02T07:00:00Z,111,arn:admin,PutApplicationSessionConfiguration,app-1,UserBackgroundSessionApplicationStatus,ENABLED,DISABLED,e2

                """)
        #expect(
            try await csv("findings.csv") == """
                severity,code,subject,detail,evidence
                high,unexpected_background,s2,ran 5400 s,logs/a.out.gz:7
                medium,identity_unresolved,s9,x,logs/a.out.gz:9
                info,policy_change,app-1,enabled,eventID e1

                """)
        #expect(
            try await csv("sagemaker_jobs.csv") == """
                job_name,job_type,account_id,created_at,ended_at,user_id,user_name,identity_status,max_runtime_s,session_limit_s,effective_limit_s,end_status,failure_reason,end_evidence,pipeline_execution_arn,pipeline_step,user_evidence
                job-1,training,111,2025-01-01T08:00:00Z,2025-01-01T09:00:00Z,u-a,alice,propagated,86400,604800,86400,Failed,"ClientError: x, y",EventBridge logs/e.gz:3,,,onBehalfOf of CreateTrainingJob eventID e3
                pipelines-ab12-Train-x,training,111,2025-01-01T10:05:00Z,,u-b,bob,asserted,3600,603900,3600,,,,arn:p/execution/ab12,Train,onBehalfOf of StartPipelineExecution eventID e4

                """)
        // By start, else (no start in the data) by end.
        #expect(
            try await csv("sagemaker_pipelines.csv") == """
                execution_arn,pipeline_name,account_id,started_at,ended_at,status,failure_reason,user_id,user_name,identity_status,jobs,event_id,end_evidence
                arn:p/execution/old1,churn,111,2024-12-31T23:00:00Z,,Executing,,,,missing,0,e0,EventBridge logs/e.gz:1
                arn:p/execution/ab12,churn,111,2025-01-01T10:00:00Z,2025-01-01T11:00:00Z,Succeeded,,u-b,bob,propagated,1,e4,EventBridge logs/e.gz:9
                arn:p/execution/zz99,churn,111,,2025-01-03T01:00:00Z,Failed,Step failure,,,unknown,0,,EventBridge logs/e.gz:12

                """)
        #expect(
            try await csv("data_quality.csv") == """
                path,format,status,records,rejected,duplicates,first_event,last_event,detail,records_read,digest_status
                logs/b.json.gz,cloudtrail,truncated,1,1,0,,,truncated gzip,3,pending
                logs/a.out.gz,livy-server,ok,12,0,0,2025-01-01T08:00:00Z,2025-01-01T12:00:00Z,,50,

                """)
    }

    @Test("sessions: one row each, in creation order, money with 4 decimals")
    func sessions() async throws {
        let lines = try await csv("sessions.csv").split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(
            lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[0] } == [
                "s1", "s2", "s3", "s4",
            ])
        #expect(lines[2].hasSuffix(",yarn,2.0000,1.5000,1.5000,1,asserted,,,,,111,"))
    }

    // 4 sessions, $3.63, idle $2.35 (65 %), $2.10 of it in the 2 abandoned sessions; 1 ran in
    // background against policy; 1 without an identity; 1 still running; 1 high finding.
    @Test("report.md opens with the totals and ends with the provenance")
    func markdown() async throws {
        let text = try await csv("report.md")
        #expect(
            text.contains(
                "Sessions: 4, costing $3.63; $2.35 of it (65 %) was idle tail, $2.10 of that in abandoned sessions (2). In background although policy forbade it: 1; without a resolved identity: 1; still running at the end of the data: 1. High-severity findings: 1."
            ))
        #expect(
            text.contains(
                "| s2 | c1 | bob | 2025-01-01T09:30:00Z | 2025-01-01T10:00:00Z | 2025-01-01T11:30:00Z | idle_timeout | 5400 | 1.50 |"
            ))
        #expect(text.contains("Rate card: from 1970-01-01: $0.0480 per vCPU-hour, $0.0030 per GiB-hour."))
        // Charts: the day's background, idle and total cost; sessions open at once per cluster
        // and hour (c1: two in each of 09, 10, 11; c2: one at 11).
        #expect(
            text.contains(
                """
                x-axis ["2025-01-01"]
                    line [1.50]
                    line [2.35]
                    line [3.63]
                """))
        #expect(
            text.contains(
                "x-axis [\"01-01T09\", \"01-01T10\", \"01-01T11\"]\n    line [2.00, 2.00, 2.00]\n    line [0.00, 0.00, 1.00]"
            ))
    }

    // With s3's activity known from no request log or REST answer (activity_source none), its
    // idle tail runs from its start: an upper bound, and the opening says how many such
    // sessions there are (s4 never started: its idle figures mean nothing, it is not counted).
    @Test("report.md says how many sessions' idle figures are upper bounds")
    func upperBounds() async throws {
        #expect(
            try await csv("report.md").contains(
                "Sessions whose idle figures are upper bounds (no request log or REST answer records their activity, so the last activity taken is their start): 0."
            ))
        let ledger = try HandLedger()
        try LedgerStore(path: ledger.database).write { db in
            try db.execute(sql: "UPDATE session SET activity_source = 'none' WHERE session_key IN ('s3', 's4')")
        }
        let text = try #require(try ledger.reports()["report.md"])
        #expect(
            text.contains(
                "Sessions whose idle figures are upper bounds (no request log or REST answer records their activity, so the last activity taken is their start): 1."
            ))
    }

    @Test("the same ledger gives the same bytes; a window keeps the sessions created in it")
    func deterministicAndWindowed() async throws {
        let a = try HandLedger()
        defer { a.dir.remove() }
        let first = try a.reports()
        #expect(try a.reports() == first)
        let reporting = Reporting(
            queriesDirectory: Fixtures.project + "/Queries", templatesDirectory: Fixtures.project + "/Reports/templates"
        )
        _ = try reporting.write(
            database: a.database, configuration: Configuration(), to: a.dir.path + "/w",
            window: try .days(from: "2025-01-01", to: "2025-01-01"), only: ["sessions"], toolVersion: "test")
        let windowed = try String(contentsOfFile: a.dir.path + "/w/sessions.csv", encoding: .utf8)
        #expect(windowed.split(separator: "\r\n").count == 5)
        _ = try reporting.write(
            database: a.database, configuration: Configuration(), to: a.dir.path + "/v",
            window: try .days(from: "2025-01-02", to: nil), only: ["sessions"], toolVersion: "test")
        #expect(
            try String(contentsOfFile: a.dir.path + "/v/sessions.csv", encoding: .utf8).split(separator: "\r\n").count
                == 1)
        #expect(!FileManager.default.fileExists(atPath: a.dir.path + "/v/findings.csv"))  // --only
    }
}

@Suite("Report names and output paths")
struct ReportPathTests {
    // How this was seen to fail: with the plain-file-name check removed from
    // ReportDefinition.parse, this query's CSV was written one directory above --out.
    @Test("a query whose CSV name leaves the output directory is refused, naming the file")
    func refusesEscapingNames() throws {
        let dir = try TemporaryDirectory("ledger-escape")
        defer { dir.remove() }
        let queries = dir.path + "/queries"
        try dir.write("queries/evil.sql", "-- title: Evil\n-- csv: ../escaped.csv\nselect 1 as x\n")
        let ledger = try HandLedger()
        defer { ledger.dir.remove() }
        let reporting = Reporting(
            queriesDirectory: queries, templatesDirectory: Fixtures.project + "/Reports/templates")
        #expect(
            throws: LedgerError.query(
                message: "\(queries)/evil.sql: '-- csv: ../escaped.csv' must be a plain file name such as evil.csv")
        ) {
            try reporting.write(
                database: ledger.database, configuration: Configuration(), to: dir.path + "/out", window: .all,
                only: [], toolVersion: "t")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/escaped.csv"))
    }

    @Test("--only with a name that is no report is a usage error listing the reports")
    func refusesUnknownReports() throws {
        let ledger = try HandLedger()
        defer { ledger.dir.remove() }
        let reporting = Reporting(
            queriesDirectory: Fixtures.project + "/Queries", templatesDirectory: Fixtures.project + "/Reports/templates"
        )
        do {
            _ = try reporting.write(
                database: ledger.database, configuration: Configuration(), to: ledger.dir.path + "/o", window: .all,
                only: ["nope"], toolVersion: "t")
            Issue.record("expected an error")
        } catch {
            guard case .config(_, _, let message) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(message.hasPrefix("no report 'nope'; reports: "))
        }
    }
}
