import Foundation
import GRDB
import LedgerScenarios
import LedgerTestSupport
import Testing

/// Which AWS account each cluster's sessions ran in, and which account a cross-account user came
/// from (issue 20).
///
/// Every expectation is worked out by hand from the files below.
@Suite("Accounts: the cluster's, and the one a cross-account user came from")
struct AccountTests {
    typealias P = PropagationScenario

    static let studio =
        #"{"type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/StudioUser/pia","accountId":"444455556666"}"#
    static let studioMax =
        #"{"type":"AssumedRole","arn":"arn:aws:sts::444455556666:assumed-role/StudioUser/max","accountId":"444455556666"}"#

    // Clusters: j-ACCTLAYOUT01's logs are in EMR's log bucket of account 777788889999 (layout);
    // j-ACCTRUNJOB01's too, but RunJobFlow (recipient 111122223333) says otherwise and wins;
    // j-ACCTCONFIG01's are in no account's layout, and the config names 123456789012.
    // Role sessions: pia from 444455556666 into 777788889999's role at 08:30 for 7200 s (to
    // 10:30); max from 444455556666 into the same role at 06:00, the default 3600 s (to 07:00).
    // Sessions: pia and max on j-ACCTLAYOUT01 09:00–10:00: pia came from 444455556666; max's
    // role session had ended by then (must not count). pia on j-ACCTRUNJOB01 11:00–12:00: her
    // role session was into another account's role, and over (must not count). pia on
    // j-ACCTCONFIG01 09:00–10:00: not the role's account (must not count).
    // How this was seen to fail: with the role's account not compared, pia's session on
    // j-ACCTCONFIG01 came from 444455556666 too.
    @Test(
        "the config over RunJobFlow over the log bucket; a user's account only from a live role session into the cluster's"
    )
    func accounts() async throws {
        let node = "/node/i-0c0c0c0c0c0c0c0c3/applications/livy/livy-livy-server.out"
        let bucket = "logs/aws-logs-777788889999-us-east-1/elasticmapreduce/"
        let trail =
            "{\"Records\":["
            + [
                P.event(
                    "run", "07:10:00", "elasticmapreduce.amazonaws.com", "RunJobFlow", P.admin,
                    #","requestParameters":{"name":"r","releaseLabel":"emr-7.11.0"},"responseElements":{"jobFlowId":"j-ACCTRUNJOB01"}"#
                ),
                P.event(
                    "ar-pia", "08:30:00", "sts.amazonaws.com", "AssumeRole", Self.studio,
                    #","requestParameters":{"roleArn":"arn:aws:iam::777788889999:role/EMRStudio","roleSessionName":"pia","durationSeconds":7200}"#
                ),
                // Fields of the wrong type: no role to read, nothing found, nothing crashes. How this
                // was seen to fail: with the JSON type not checked, the number 7 read as text crashed.
                P.event(
                    "ar-odd", "08:40:00", "sts.amazonaws.com", "AssumeRole", Self.studio,
                    #","requestParameters":{"roleArn":7,"roleSessionName":["pia"],"durationSeconds":"long"}"#
                ),
                P.event(
                    "ar-max", "06:00:00", "sts.amazonaws.com", "AssumeRole", Self.studioMax,
                    #","requestParameters":{"roleArn":"arn:aws:iam::777788889999:role/EMRStudio","roleSessionName":"max"}"#
                ),
            ].joined(separator: ",") + "]}"
        let (dir, rows) = try await ingestFiles(
            [
                bucket + "j-ACCTLAYOUT01" + node: P.livy("a", ["pia", "max"], "09:00:00", "10:00:00"),
                bucket + "j-ACCTRUNJOB01" + node: P.livy("b", ["pia"], "11:00:00", "12:00:00"),
                "logs/j-ACCTCONFIG01" + node: P.livy("c", ["pia"], "09:00:00", "10:00:00"),
                "logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/11/24/111122223333_CloudTrail_us-east-1_20251124T1205Z_abcdefghijklmnop.json":
                    trail,
            ], config: "[[clusters]]\nid = \"j-ACCTCONFIG01\"\naccount = \"123456789012\"\n")
        defer { dir.remove() }
        let have = rows.map {
            "\($0["cluster_id"] as String) \($0["proxy_user"] as String) \($0["account_id"] as String? ?? "-") \($0["user_account_id"] as String? ?? "-")"
        }
        #expect(
            have.sorted() == [
                "j-ACCTCONFIG01 pia 123456789012 -", "j-ACCTLAYOUT01 max 777788889999 -",
                "j-ACCTLAYOUT01 pia 777788889999 444455556666", "j-ACCTRUNJOB01 pia 111122223333 -",
            ])
        let sources = try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            try String.fetchAll(
                db,
                sql: "SELECT cluster_id || ' ' || account_source FROM cluster WHERE account_id IS NOT NULL ORDER BY 1")
        }
        #expect(sources == ["j-ACCTCONFIG01 config", "j-ACCTLAYOUT01 layout", "j-ACCTRUNJOB01 RunJobFlow"])
    }
}
