import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

@Suite("Findings and SageMaker jobs over the hand-built scenario")
struct FindingTests {
    func findings(_ code: String) async throws -> [[String]] {
        try await DatabaseQueue(path: IdentityTests.scenario.value.database).read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT severity, subject, detail, evidence FROM finding WHERE code = ? ORDER BY subject, detail",
                arguments: [code]
            ).map {
                [$0["severity"], $0["subject"], $0["detail"], $0["evidence"]]
            }
        }
    }

    @Test("unexpected background: alice's 13:00 session ran 1200 s after her sign-in ended, with policy interactive")
    func unexpectedBackground() async throws {
        let rows = try await findings("unexpected_background")
        #expect(
            rows.map { [$0[0], $0[1], $0[2]] } == [
                [
                    "high", "j-BGTESTCLUSTR1/2025-11-24T07:30:00Z/3",
                    "alice's session ran 1200 s after the sign-in ended; policy at creation: interactive",
                ]
            ])
        // The create line: 1 start line, 6 lines for sessions 0–2, 4 delete lines, then line 12.
        #expect(rows.first?[3].hasSuffix("livy-livy-server.out.gz:12") == true)
    }

    // Limit in force: 50 min = 3000 s. alice's session 0 and bob's session 1 ran 3600 s in background.
    @Test("background over the limit in force")
    func backgroundOverLimit() async throws {
        let rows = try await findings("background_over_limit")
        #expect(
            rows.map { $0[1] } == ["j-BGTESTCLUSTR1/2025-11-24T07:30:00Z/0", "j-BGTESTCLUSTR1/2025-11-24T07:30:00Z/1"])
        #expect(rows.first?[2] == "alice's session ran 3600 s in background; the limit in force is 3000 s")
    }

    @Test("missing and unresolved identities")
    func identityFindings() async throws {
        #expect(try await findings("identity_missing").map { $0[1] } == ["j-BGTESTCLUSTR1/2025-11-24T07:30:00Z/4"])
        let unresolved = try await findings("identity_unresolved")
        #expect(
            unresolved.map { [$0[1], $0[2]] } == [
                ["j-BGTESTCLUSTR1/2025-11-24T07:30:00Z/5", "'mallory' maps to no Identity Center user"]
            ])
    }

    @Test("every policy change is a finding with its event")
    func policyChanges() async throws {
        let rows = try await findings("policy_change")
        #expect(rows.count == 5)
        #expect(
            rows.contains {
                $0[2]
                    == "2025-11-24T12:00:00Z: arn:aws:sts::111122223333:assumed-role/Admin/ops PutApplicationSessionConfiguration UserBackgroundSessionApplicationStatus ENABLED → DISABLED"
                    && $0[3] == "eventID app2"
            })
    }

    // How this was seen to fail: with the lookup left to SQLite's exact `$.roleArn` alone, the
    // `RoleArn` assumption (xa-3) was missing.
    @Test("a cross-account role assumption, counted once for both accounts' copies; the key in any case")
    func crossAccount() async throws {
        let rows = try await findings("cross_account_role")
        #expect(
            rows.map { [$0[1], $0[2], $0[3]] } == [
                [
                    "arn:aws:iam::111122223333:role/Auditor",
                    "2025-11-24T09:42:00Z: arn:aws:sts::555566667777:assumed-role/Audit/bob from account 555566667777 assumed a role of account 111122223333",
                    "eventID xa-3",
                ],
                [
                    "arn:aws:iam::111122223333:role/EMRStudioAccess",
                    "2025-11-24T09:40:00Z: arn:aws:sts::999988887777:assumed-role/StudioUser/alice from account 999988887777 assumed a role of account 111122223333 (source identity alice@example.com)",
                    "eventID xa-1",
                ],
            ])
    }

    // No digest at all in the data for this account and region: its files cannot be verified
    // (the trail's digests are not there, or validation is off), and no digest will make them
    // pending: both not covered, one finding for the account and region.
    @Test("log files of a trail with no digest in the data are not covered; the hours with no file at all")
    func integrityAndCoverage() async throws {
        let unverified = try await findings("unverified_logs")
        #expect(
            unverified.map { [$0[0], $0[1], $0[2]] } == [
                [
                    "medium", "111122223333/us-east-1",
                    "2 CloudTrail file(s) that a digest should list are listed in none (no digest of this account and region in the data)",
                ]
            ])
        let statuses = try await DatabaseQueue(path: IdentityTests.scenario.value.database).read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT d.digest_status || ' ' || d.detail FROM ct_file_digest d JOIN input_file f ON f.id = d.file_id ORDER BY f.path"
            )
        }
        #expect(
            statuses == [
                "not_covered no digest of 111122223333/us-east-1 in the data",
                "not_covered no digest of 111122223333/us-east-1 in the data",
            ])
        let gaps = try await findings("coverage_gap")
        #expect(
            gaps.map { [$0[1], $0[2]] } == [
                [
                    "111122223333/us-east-1",
                    "no CloudTrail file from 2025-11-24T04:00:00Z to 2025-11-24T23:00:00Z (19 h)",
                ]
            ])
    }

    // churn-train: created 09:45 (app X ENABLED) → session limit = the background duration,
    // 3000 s; its own limit 86400 s; effective 3000 s. EventBridge: stopped, ended 10:35:00, 3000 s
    // after: cut at the background limit. adhoc (alice, 11:00, background on): a StopTrainingJob
    // 3000 s later, but no state says how it ended: ended_at from the stop, no status, no finding.
    // features: created 12:30 after DISABLED; bob's window [08:00, 17:00] → the session limit is
    // 17:00 − 12:30 + 900 s = 17100 s; its own 7200 s is smaller; failed at 14:00, before the
    // window ended: no finding. anon: no onBehalfOf; a describe answer says Completed at
    // 13:01:00.250. nightly-eval (bob, 13:00, DISABLED alone in force): session limit 17:00 −
    // 13:00 + 900 = 15300 s; failed at 17:10:00, 600 s after the window ended, within the 15
    // minutes: cut; it ran 15000 s.
    // How this was seen to fail: with the failure's time not compared with the window's end,
    // features was cut. (Before issue 20 the Stop call alone made a cut: adhoc would be one.)
    @Test("SageMaker jobs: limits, how each ended and on what evidence; a cut only on evidence")
    func sageMakerJobs() async throws {
        let jobs = try await DatabaseQueue(path: IdentityTests.scenario.value.database).read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sagemaker_job ORDER BY created_at").map {
                [
                    $0["job_name"], $0["job_type"], $0["user_name"] ?? "-", $0["identity_status"],
                    $0["ended_at"] ?? "-",
                    "\($0["max_runtime_s"] as Int? ?? -1)", "\($0["session_limit_s"] as Int? ?? -1)",
                    "\($0["effective_limit_s"] as Int? ?? -1)", $0["end_status"] ?? "-", $0["failure_reason"] ?? "-",
                    ($0["end_evidence"] as String?).map { String($0.prefix(while: { $0 != " " })) } ?? "-",
                ] as [String]
            }
        }
        #expect(
            jobs == [
                [
                    "churn-train", "training", "alice", "propagated", "2025-11-24T10:35:00Z", "86400", "3000", "3000",
                    "Stopped", "-", "EventBridge",
                ],
                [
                    "adhoc", "training", "alice", "propagated", "2025-11-24T11:50:00Z", "86400", "3000", "3000", "-",
                    "-",
                    "StopTrainingJob",
                ],
                [
                    "features", "processing", "bob", "propagated", "2025-11-24T14:00:00Z", "7200", "17100", "7200",
                    "Failed", "AlgorithmError: out of memory", "EventBridge",
                ],
                [
                    "anon", "training", "-", "missing", "2025-11-24T13:01:00Z", "3600", "-1", "3600", "Completed", "-",
                    "describe",
                ],
                [
                    "nightly-eval", "training", "bob", "propagated", "2025-11-24T17:10:00Z", "86400", "15300", "15300",
                    "Failed", "ClientError: the user's identity-enhanced session has ended", "EventBridge",
                ],
            ])
        let cut = try await findings("job_cut_by_session")
        #expect(
            cut.map { [$0[1], $0[2]] } == [
                [
                    "churn-train",
                    "stopped after 3000 s, at the background session limit of 3000 s although its own limit was 86400 s",
                ],
                [
                    "nightly-eval",
                    "failed (ClientError: the user's identity-enhanced session has ended) 600 s after the user's sign-in "
                        + "ended, background sessions off (a job stops within 15 minutes of logout); it ran 15000 s of "
                        + "its own limit of 86400 s",
                ],
            ])
    }
}
