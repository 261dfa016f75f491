import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// Hand-built clusters, Livy logs, CloudTrail and identities.csv for the CloudTrail-derived
/// session columns (SPEC §4: User, Interactive windows, Policy, Identity status).
///
/// CloudTrail, 2025-11-24 (UTC), one file in the AWSLogs layout:
/// - 07:00 CreateSecurityConfiguration `tip-bg` (EnableUserBackgroundSession true) and
///   `tip-no-bg` (userBackgroundSessionsEnabled false, the other spelling);
/// - 07:05 PutApplicationSessionConfiguration app X ENABLED;
/// - 07:10 RunJobFlow: j-BGTESTCLUSTR1 emr-7.11.0 tip-bg; …2 emr-7.12.0 tip-no-bg;
///   …3 emr-7.10.0 tip-bg; …5 emr-7.11.0 without a security configuration (…4: none);
/// - alice signs in 08:00 (new shape, onBehalfOf u-alice) and logs out 10:00;
///   bob signs in 08:00 and 09:00 (old shape, userName bob), never logs out; carl never signs in;
/// - 09:30 s3 GetObject by EMR_EC2_DefaultRole on behalf of u-alice;
///   10:00 s3 GetObject by SomeOtherRole on behalf of u-bob;
/// - 12:00 app X DISABLED; 14:00 app Y ENABLED (two applications that disagree).
/// Interactive session duration: 8 h (default).
struct IdentityScenario {
    let dir: TemporaryDirectory
    var database: String { dir.path + "/l.sqlite" }

    /// A Livy server log; the host in its start line keeps the clusters' logs apart (identical
    /// files would be stored once, as duplicates).
    static func livy(_ host: String, _ lines: [String]) -> String {
        (["25/11/24 07:30:00 INFO WebServer: Starting server on http://\(host):8998"] + lines).joined(separator: "\n")
            + "\n"
    }

    static func create(_ t: String, _ id: Int, _ proxy: String?) -> String {
        "25/11/24 \(t) INFO InteractiveSession$: Creating Interactive session \(id): [owner: null, request: [kind: pyspark, proxyUser: \(proxy.map { "Some(\($0))" } ?? "None"), heartbeatTimeoutInSecond: 0]]"
    }

    static func ready(_ t: String, _ id: Int, _ proxy: String?) -> String {
        "25/11/24 \(t) INFO InteractiveSession: Interactive session \(id) created [appid: null, owner: null, proxyUser: \(proxy.map { "Some(\($0))" } ?? "None"), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]"
    }

    static func deleted(_ t: String, _ id: Int) -> [String] {
        [
            "25/11/24 \(t) INFO InteractiveSessionManager: Deleting session \(id)",
            "25/11/24 \(t) INFO InteractiveSessionManager: Deleted session \(id)",
        ]
    }

    /// One session per line of the policy matrix, and the identity cases on cluster 1.
    static let clusters: [String: String] = [
        "j-BGTESTCLUSTR1": livy(
            "primary-1",
            [
                create("09:00:00", 0, "alice"), ready("09:00:30", 0, "alice"),
                create("09:30:00", 1, "bob"), ready("09:30:30", 1, "bob"),
                create("10:00:00", 2, "carl@example.com"), ready("10:00:30", 2, "carl@example.com"),
            ] + deleted("10:30:00", 2) + deleted("11:00:00", 0) + [
                create("13:00:00", 3, "alice"), ready("13:00:30", 3, "alice"),
            ] + deleted("13:20:00", 3) + [
                create("13:30:00", 4, nil), ready("13:30:30", 4, nil),
                create("13:40:00", 5, "mallory"), ready("13:40:30", 5, "mallory"),
                create("14:30:00", 6, "bob"), ready("14:30:30", 6, "bob"),
            ] + deleted("14:50:00", 4) + deleted("14:55:00", 5) + deleted("15:00:00", 6) + deleted("18:00:00", 1)),
        "j-BGTESTCLUSTR2": livy(
            "primary-2",
            [create("09:00:00", 0, "bob"), ready("09:00:30", 0, "bob")] + deleted("09:30:00", 0)
                + [create("10:00:00", 1, "dora"), ready("10:00:30", 1, "dora")] + deleted("10:30:00", 1)),
        "j-BGTESTCLUSTR3": livy(
            "primary-3", [create("09:00:00", 0, "bob"), ready("09:00:30", 0, "bob")] + deleted("09:30:00", 0)),
        "j-BGTESTCLUSTR4": livy(
            "primary-4", [create("09:00:00", 0, "bob"), ready("09:00:30", 0, "bob")] + deleted("09:30:00", 0)),
        "j-BGTESTCLUSTR5": livy(
            "primary-5", [create("09:00:00", 0, "bob"), ready("09:00:30", 0, "bob")] + deleted("09:30:00", 0)),
    ]

    static func ct(
        _ id: String, _ time: String, _ source: String, _ name: String,
        identity: String = #"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/ops"}"#,
        request: String = "null", response: String = "null", extra: String = ""
    ) -> String {
        #"{"eventVersion":"1.11","userIdentity":\#(identity),"eventTime":"2025-11-24T\#(time)Z","eventSource":"\#(source)","eventName":"\#(name)","awsRegion":"us-east-1","eventID":"\#(id)","recipientAccountId":"111122223333","requestParameters":\#(request),"responseElements":\#(response)\#(extra)}"#
    }

    static func runJobFlow(_ id: String, _ cluster: String, _ release: String, _ security: String?) -> String {
        let sec = security.map { #","securityConfiguration":"\#($0)""# } ?? ""
        return ct(
            id, "07:10:00", "elasticmapreduce.amazonaws.com", "RunJobFlow",
            request:
                #"{"name":"\#(cluster)","ReleaseLabel":"\#(release)","serviceRole":"EMR_DefaultRole","jobFlowRole":"EMR_EC2_DefaultRole"\#(sec)}"#,
            response: #"{"jobFlowId":"\#(cluster)"}"#)
    }

    static let trail =
        "{\"Records\":["
        + [
            ct(
                "sc1", "07:00:00", "elasticmapreduce.amazonaws.com", "CreateSecurityConfiguration",
                request:
                    #"{"name":"tip-bg","securityConfiguration":"{\"AuthenticationConfiguration\":{\"IdentityCenterConfiguration\":{\"EnableIdentityCenter\":true,\"IdentityCenterInstanceARN\":\"arn:aws:sso:::instance/ssoins-1\",\"EnableUserBackgroundSession\":true}}}"}"#
            ),
            ct(
                "sc2", "07:00:01", "elasticmapreduce.amazonaws.com", "CreateSecurityConfiguration",
                request:
                    #"{"name":"tip-no-bg","securityConfiguration":"{\"authenticationConfiguration\":{\"identityCenterConfiguration\":{\"enableIdentityCenter\":true,\"userBackgroundSessionsEnabled\":false}}}"}"#
            ),
            ct(
                "app1", "07:05:00", "sso.amazonaws.com", "PutApplicationSessionConfiguration",
                request:
                    #"{"applicationArn":"arn:aws:sso::111122223333:application/ssoins-1/apl-X","userBackgroundSessionApplicationStatus":"ENABLED"}"#
            ),
            runJobFlow("r1", "j-BGTESTCLUSTR1", "emr-7.11.0", "tip-bg"),
            runJobFlow("r2", "j-BGTESTCLUSTR2", "emr-7.12.0", "tip-no-bg"),
            runJobFlow("r3", "j-BGTESTCLUSTR3", "emr-7.10.0", "tip-bg"),
            runJobFlow("r5", "j-BGTESTCLUSTR5", "emr-7.11.0", nil),
            ct(
                "in-a", "08:00:00", "signin.amazonaws.com", "UserAuthentication",
                identity:
                    #"{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"u-alice","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"},"credentialId":"c1"}"#,
                extra:
                    #","additionalEventData":{"UserName":"alice","CredentialType":"PASSWORD"},"serviceEventDetails":{"UserAuthentication":"Success"}"#
            ),
            ct(
                "in-b1", "08:00:00", "signin.amazonaws.com", "UserAuthentication",
                identity: #"{"type":"Unknown","userName":"bob"}"#,
                extra: #","serviceEventDetails":{"UserAuthentication":"Success"}"#),
            ct(
                "in-b2", "09:00:00", "signin.amazonaws.com", "UserAuthentication",
                identity: #"{"type":"Unknown","userName":"bob"}"#,
                extra: #","serviceEventDetails":{"UserAuthentication":"Success"}"#),
            // dora is not in identities.csv; her sign-in names her and carries her user id.
            ct(
                "in-d", "09:50:00", "signin.amazonaws.com", "UserAuthentication",
                identity:
                    #"{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-dora","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#,
                extra:
                    #","additionalEventData":{"UserName":"dora@example.com"},"serviceEventDetails":{"UserAuthentication":"Success"}"#
            ),
            ct(
                "s3-a", "09:30:00", "s3.amazonaws.com", "GetObject",
                identity:
                    #"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/EMR_EC2_DefaultRole/i-1","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/EMR_EC2_DefaultRole"}},"onBehalfOf":{"userId":"u-alice","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#
            ),
            ct(
                "out-a", "10:00:00", "sso.amazonaws.com", "Logout",
                identity:
                    #"{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-alice","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#
            ),
            ct(
                "s3-b", "10:00:00", "s3.amazonaws.com", "GetObject",
                identity:
                    #"{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/SomeOtherRole"}},"onBehalfOf":{"userId":"u-bob","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#
            ),
            ct(
                "app2", "12:00:00", "sso.amazonaws.com", "PutApplicationSessionConfiguration",
                request:
                    #"{"applicationArn":"arn:aws:sso::111122223333:application/ssoins-1/apl-X","userBackgroundSessionApplicationStatus":"DISABLED"}"#
            ),
            ct(
                "app3", "14:00:00", "sso.amazonaws.com", "PutApplicationSessionConfiguration",
                request:
                    #"{"applicationArn":"arn:aws:sso::111122223333:application/ssoins-1/apl-Y","userBackgroundSessionApplicationStatus":"ENABLED"}"#
            ),
            // A studio account's role assumes a role of this account: both accounts' copies of the
            // call (one sharedEventID); and a same-account AssumeRole, which is no finding.
            ct(
                "xa-1", "09:40:00", "sts.amazonaws.com", "AssumeRole",
                identity:
                    #"{"type":"AssumedRole","arn":"arn:aws:sts::999988887777:assumed-role/StudioUser/alice","accountId":"999988887777"}"#,
                request:
                    #"{"roleArn":"arn:aws:iam::111122223333:role/EMRStudioAccess","roleSessionName":"alice","sourceIdentity":"alice@example.com"}"#,
                extra: #","sharedEventID":"shared-1""#),
            ct(
                "xa-2", "09:40:00", "sts.amazonaws.com", "AssumeRole",
                identity: #"{"type":"AWSAccount","principalId":"AROA:alice","accountId":"999988887777"}"#,
                request:
                    #"{"roleArn":"arn:aws:iam::111122223333:role/EMRStudioAccess","roleSessionName":"alice","sourceIdentity":"alice@example.com"}"#,
                extra: #","sharedEventID":"shared-1""#),
            // Another account's role assumption with the key spelled `RoleArn`: found by the
            // case-insensitive lookup, not by SQLite's exact path.
            ct(
                "xa-3", "09:42:00", "sts.amazonaws.com", "AssumeRole",
                identity:
                    #"{"type":"AssumedRole","arn":"arn:aws:sts::555566667777:assumed-role/Audit/bob","accountId":"555566667777"}"#,
                request: #"{"RoleArn":"arn:aws:iam::111122223333:role/Auditor","RoleSessionName":"audit"}"#),
            ct(
                "same-1", "09:41:00", "sts.amazonaws.com", "AssumeRole",
                identity: #"{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333"}"#,
                request: #"{"roleArn":"arn:aws:iam::111122223333:role/Admin","roleSessionName":"ops"}"#),
            // SageMaker: alice's training job (her own limit 1 day) stopped after 3000 s, the
            // background session limit in force (50 min, config); bob's processing job after the
            // 12:00 DISABLED, still running; a job with no identity.
            ct(
                "sm-1", "09:45:00", "sagemaker.amazonaws.com", "CreateTrainingJob",
                identity:
                    #"{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/SageMakerExecution"}},"onBehalfOf":{"userId":"u-alice","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#,
                request: #"{"trainingJobName":"churn-train","stoppingCondition":{"maxRuntimeInSeconds":86400}}"#),
            ct(
                "sm-2", "10:35:00", "sagemaker.amazonaws.com", "StopTrainingJob",
                request: #"{"trainingJobName":"churn-train"}"#),
            ct(
                "sm-3", "12:30:00", "sagemaker.amazonaws.com", "CreateProcessingJob",
                identity:
                    #"{"type":"AssumedRole","onBehalfOf":{"userId":"u-bob","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#,
                request: #"{"processingJobName":"features","stoppingCondition":{"maxRuntimeInSeconds":7200}}"#),
            ct(
                "sm-4", "12:31:00", "sagemaker.amazonaws.com", "CreateTrainingJob",
                request: #"{"trainingJobName":"anon","stoppingCondition":{"maxRuntimeInSeconds":3600}}"#),
            // alice's ad-hoc job (background on), stopped by a call 3000 s later: no state says
            // how it ended. bob's nightly evaluation after the 12:00 DISABLED (own limit 1 day).
            ct(
                "sm-5", "11:00:00", "sagemaker.amazonaws.com", "CreateTrainingJob",
                identity:
                    #"{"type":"AssumedRole","onBehalfOf":{"userId":"u-alice","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#,
                request: #"{"trainingJobName":"adhoc","stoppingCondition":{"maxRuntimeInSeconds":86400}}"#),
            ct(
                "sm-6", "11:50:00", "sagemaker.amazonaws.com", "StopTrainingJob",
                request: #"{"trainingJobName":"adhoc"}"#),
            ct(
                "sm-7", "13:00:00", "sagemaker.amazonaws.com", "CreateTrainingJob",
                identity:
                    #"{"type":"AssumedRole","onBehalfOf":{"userId":"u-bob","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#,
                request: #"{"trainingJobName":"nightly-eval","stoppingCondition":{"maxRuntimeInSeconds":86400}}"#),
        ].joined(separator: ",\n") + "]}"

    /// EventBridge job state changes as Firehose delivers them, one a line (times epoch ms):
    /// churn-train running, then stopped at 10:35 (3000 s after 09:45); features failed at 14:00;
    /// nightly-eval failed at 17:10.
    static let jobStateChanges =
        [
            jobEvent("Training", "churn-train", "InProgress", "09:46:00", end: nil, reason: nil),
            jobEvent("Training", "churn-train", "Stopped", "10:35:01", end: "10:35:00", reason: nil),
            jobEvent(
                "Processing", "features", "Failed", "14:00:02", end: "14:00:00", reason: "AlgorithmError: out of memory"
            ),
            jobEvent(
                "Training", "nightly-eval", "Failed", "17:10:01", end: "17:10:00",
                reason: "ClientError: the user's identity-enhanced session has ended"),
        ].joined(separator: "\n") + "\n"

    static func jobEvent(
        _ kind: String, _ name: String, _ status: String, _ time: String, end: String?, reason: String?
    )
        -> String
    {
        func ms(_ t: String) -> String {
            let p = t.split(separator: ":").map { Int64($0)! }
            return String((1_763_942_400 + p[0] * 3600 + p[1] * 60 + p[2]) * 1000)
        }
        let endKey = kind == "Training" ? "TrainingEndTime" : "ProcessingEndTime"
        return
            #"{"version":"0","id":"e-\#(name)-\#(status)","detail-type":"SageMaker \#(kind) Job State Change","source":"aws.sagemaker","account":"111122223333","time":"2025-11-24T\#(time)Z","region":"us-east-1","resources":[],"detail":{"\#(kind)JobName":"\#(name)","\#(kind)JobStatus":"\#(status)","CreationTime":\#(ms("09:45:00"))"#
            + (end.map { #","\#(endKey)":\#(ms($0))"# } ?? "") + (reason.map { #","FailureReason":"\#($0)""# } ?? "")
            + #","StoppingCondition":{"MaxRuntimeInSeconds":86400},"HyperParameters":{"password":"not-kept"}}}"#
    }

    /// A saved `aws sagemaker describe-training-job` answer (CLI v2: ISO times, microseconds).
    static let describeAnon = """
        {
            "TrainingJobName": "anon",
            "TrainingJobArn": "arn:aws:sagemaker:us-east-1:111122223333:training-job/anon",
            "TrainingJobStatus": "Completed",
            "SecondaryStatus": "Completed",
            "StoppingCondition": {
                "MaxRuntimeInSeconds": 3600
            },
            "CreationTime": "2025-11-24T12:31:00.512000+00:00",
            "TrainingEndTime": "2025-11-24T13:01:00.250000+00:00"
        }
        """

    init() async throws {
        dir = try TemporaryDirectory.removedAtExit("ledger-identity")
        for (cluster, log) in Self.clusters {
            try dir.write(
                "logs/\(cluster)/node/i-0d0d0d0d0d0d0d0d4/applications/livy/livy-livy-server.out.gz",
                Gzip.compress(Array(log.utf8)))
        }
        try dir.write(
            "logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/11/24/111122223333_CloudTrail_us-east-1_20251124T2355Z_abcdefghijklmnop.json.gz",
            Gzip.compress(Array(Self.trail.utf8)))
        // An early file (delivered 03:05) and then nothing until 23:55: a coverage gap.
        try dir.write(
            "logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/11/24/111122223333_CloudTrail_us-east-1_20251124T0305Z_qrstuvwxyzabcdef.json.gz",
            Gzip.compress(
                Array(
                    ("{\"Records\":[" + Self.ct("early", "03:01:00", "ec2.amazonaws.com", "DescribeInstances") + "]}")
                        .utf8)))
        try dir.write("logs/events/sagemaker-2025-11-24.jsonl", Self.jobStateChanges)
        try dir.write("logs/describe/describe-training-job-anon.json", Self.describeAnon)
        try dir.write(
            "identities.csv",
            "userId,userName,email,costCenter\nu-alice,alice,alice@example.com,CC-100\nu-bob,bob,bob@example.com,CC-200\nu-carl,carl,carl@example.com,CC-300\n"
        )
        let config = try Configuration.parse(
            "[thresholds]\nbackground_session_duration = \"50m\"\n[identities]\nfile = \"identities.csv\"\n",
            path: dir.path + "/c.toml")
        let store = try LedgerStore(path: database)
        _ = try await Ingestor(store: store, configuration: config).ingest([
            Configuration.Input(path: dir.path + "/logs")
        ])
    }

    struct Session: Sendable {
        var userID: String?
        var userName: String?
        var costCenter: String?
        var interactive: Int?
        var background: Int?
        var observed: String?
        var policy: String?
        var status: String?
        var onBehalfOf: Int?
        var duration: Int
        var cost: Double?
        var backgroundCost: Double?
    }

    func session(_ cluster: String, _ id: Int, created: String) async throws -> Session {
        try await DatabaseQueue(path: database).read { db in
            let r = try #require(
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT * FROM session WHERE cluster_id = ? AND livy_session_id = ? AND created_at = ?
                        """, arguments: [cluster, id, "2025-11-24T\(created)Z"]))
            return Session(
                userID: r["user_id"], userName: r["user_name"], costCenter: r["cost_center"],
                interactive: r["interactive_s"],
                background: r["background_s"], observed: r["mode_observed"], policy: r["mode_policy"],
                status: r["identity_status"],
                onBehalfOf: r["onbehalfof_events"], duration: r["duration_s"], cost: r["cost_usd"],
                backgroundCost: r["background_cost_usd"])
        }
    }
}

@Suite("CloudTrail on sessions: users, background time, policy, identity status")
struct IdentityTests {
    static let scenario = Task { try await IdentityScenario() }

    // alice, session 0: 09:00 → deleted 11:00 (7200 s). Her window: signed in 08:00, logged out
    // 10:00 → interactive 09:00–10:00 = 3600 s, background 3600 s (> 900: background).
    // Cost (requested defaults, 3 vCPU + 3 GiB): 7200/3600 × 0.153 = 0.306; background cost = 0.306 × 3600/7200 = 0.153.
    @Test("a logout in the middle of a session: the rest is background time")
    func logoutMidSession() async throws {
        let s = try await Self.scenario.value.session("j-BGTESTCLUSTR1", 0, created: "09:00:00")
        #expect(s.userID == "u-alice")
        #expect(s.userName == "alice")
        #expect(s.costCenter == "CC-100")
        #expect(s.duration == 7200)
        #expect(s.interactive == 3600)
        #expect(s.background == 3600)
        #expect(s.observed == "background")
        #expect(abs((s.cost ?? 0) - 0.306) < 1e-9)
        #expect(abs((s.backgroundCost ?? 0) - 0.153) < 1e-9)
    }

    // bob, session 1: 09:30 → 18:00 (30600 s). Sign-ins 08:00 and 09:00 (old shape, name "bob"),
    // no logout: windows [08:00, 16:00] ∪ [09:00, 17:00] = [08:00, 17:00] → interactive
    // 09:30–17:00 = 27000 s, background 3600 s.
    @Test("two overlapping sign-ins count once")
    func overlappingSignIns() async throws {
        let s = try await Self.scenario.value.session("j-BGTESTCLUSTR1", 1, created: "09:30:00")
        #expect(s.userID == "u-bob")
        #expect(s.duration == 30600)
        #expect(s.interactive == 27000)
        #expect(s.background == 3600)
        #expect(s.observed == "background")
    }

    // carl (proxy user given as his e-mail): resolved through identities.csv, never signed in:
    // interactive and background unknown.
    @Test("a user with no sign-in at all: background time unknown")
    func userWithoutSignIn() async throws {
        let s = try await Self.scenario.value.session("j-BGTESTCLUSTR1", 2, created: "10:00:00")
        #expect(s.userID == "u-carl")
        #expect(s.interactive == nil)
        #expect(s.background == nil)
        #expect(s.observed == "unknown")
        #expect(s.backgroundCost == nil)
    }

    // alice, session 3: 13:00 → 13:20 (1200 s), after her 10:00 logout: all background (> 900).
    @Test("a session after the user logged out is all background")
    func sessionAfterLogout() async throws {
        let s = try await Self.scenario.value.session("j-BGTESTCLUSTR1", 3, created: "13:00:00")
        #expect(s.interactive == 0)
        #expect(s.background == 1200)
        #expect(s.observed == "background")
    }

    @Test(
        "the configuration matrix, one session per row",
        arguments: [
            // app ENABLED (07:05), tip-bg true, emr-7.11.0: all three allow it.
            ("j-BGTESTCLUSTR1", 0, "09:00:00", "background"),
            // created 13:00, after app X was DISABLED at 12:00.
            ("j-BGTESTCLUSTR1", 3, "13:00:00", "interactive"),
            // tip-no-bg: userBackgroundSessionsEnabled false.
            ("j-BGTESTCLUSTR2", 0, "09:00:00", "interactive"),
            // emr-7.10.0 is older than 7.11.0.
            ("j-BGTESTCLUSTR3", 0, "09:00:00", "interactive"),
            // no RunJobFlow in the data for this cluster: release and configuration unknown.
            ("j-BGTESTCLUSTR4", 0, "09:00:00", "unknown"),
            // launched without a security configuration: no Identity Center, no background sessions.
            ("j-BGTESTCLUSTR5", 0, "09:00:00", "interactive"),
            // 14:30: app X DISABLED, app Y ENABLED — which one serves this cluster is not in the data.
            ("j-BGTESTCLUSTR1", 6, "14:30:00", "unknown"),
        ])
    func policyMatrix(cluster: String, id: Int, created: String, expected: String) async throws {
        let s = try await Self.scenario.value.session(cluster, id, created: created)
        #expect(s.policy == expected)
    }

    // bob's session 1 was created at 09:30 with background allowed; app X was DISABLED at
    // 12:00 while it ran. Policy changes apply to sessions created after them, never to running ones.
    @Test("a policy change does not affect a session already running")
    func policyChangeSparesRunningSession() async throws {
        let s = try await Self.scenario.value.session("j-BGTESTCLUSTR1", 1, created: "09:30:00")
        #expect(s.policy == "background")
    }

    @Test(
        "every identity status",
        arguments: [
            // alice: an event by the cluster's EMR_EC2_DefaultRole on her behalf at 09:30.
            ("j-BGTESTCLUSTR1", 0, "09:00:00", "propagated", 1),
            // bob: the only event on his behalf came from SomeOtherRole, not a role of this cluster.
            ("j-BGTESTCLUSTR1", 1, "09:30:00", "asserted", 0),
            // carl: resolved, nothing on his behalf.
            ("j-BGTESTCLUSTR1", 2, "10:00:00", "asserted", 0),
            // no proxyUser, owner null: the session ran as the Livy service user.
            ("j-BGTESTCLUSTR1", 4, "13:30:00", "missing", -1),
            // mallory is in neither identities.csv nor any sign-in.
            ("j-BGTESTCLUSTR1", 5, "13:40:00", "unresolved", -1),
        ])
    func identityStatus(cluster: String, id: Int, created: String, status: String, events: Int) async throws {
        let s = try await Self.scenario.value.session(cluster, id, created: created)
        #expect(s.status == status)
        #expect(s.onBehalfOf == (events < 0 ? nil : events))
    }

    @Test("the policy timeline lists every change, with old and new values and who made it")
    func policyTimeline() async throws {
        let rows = try await DatabaseQueue(path: Self.scenario.value.database).read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT event_time, event_name, target, setting, old_value, new_value, actor, event_id FROM policy_change ORDER BY event_time, event_id"
            ).map {
                [
                    $0["event_time"], $0["event_name"], $0["target"], $0["old_value"] ?? "-", $0["new_value"] ?? "-",
                    $0["event_id"],
                ] as [String]
            }
        }
        #expect(
            rows == [
                ["2025-11-24T07:00:00.000Z", "CreateSecurityConfiguration", "tip-bg", "-", "true", "sc1"],
                ["2025-11-24T07:00:01.000Z", "CreateSecurityConfiguration", "tip-no-bg", "-", "false", "sc2"],
                [
                    "2025-11-24T07:05:00.000Z", "PutApplicationSessionConfiguration",
                    "arn:aws:sso::111122223333:application/ssoins-1/apl-X", "-", "ENABLED", "app1",
                ],
                [
                    "2025-11-24T12:00:00.000Z", "PutApplicationSessionConfiguration",
                    "arn:aws:sso::111122223333:application/ssoins-1/apl-X", "ENABLED", "DISABLED", "app2",
                ],
                [
                    "2025-11-24T14:00:00.000Z", "PutApplicationSessionConfiguration",
                    "arn:aws:sso::111122223333:application/ssoins-1/apl-Y", "-", "ENABLED", "app3",
                ],
            ])
        let actor = try await DatabaseQueue(path: Self.scenario.value.database).read { db in
            try String.fetchOne(db, sql: "SELECT actor FROM policy_change WHERE event_id = 'app2'")
        }
        #expect(actor == "arn:aws:sts::111122223333:assumed-role/Admin/ops")
    }

    @Test("identities come from identities.csv (with cost centres), else from sign-ins that name the user")
    func identities() async throws {
        let rows = try await DatabaseQueue(path: Self.scenario.value.database).read { db in
            try String.fetchAll(
                db,
                sql:
                    "SELECT user_id || ' ' || user_name || ' ' || coalesce(cost_center, '-') || ' ' || source FROM identity ORDER BY user_id"
            )
        }
        #expect(
            rows == [
                "u-alice alice CC-100 identities.csv", "u-bob bob CC-200 identities.csv",
                "u-carl carl CC-300 identities.csv",
                "u-dora dora@example.com - cloudtrail",
            ])
        // dora's session (proxy user "dora", the local part of the name she typed) resolves to her.
        let dora = try await Self.scenario.value.session("j-BGTESTCLUSTR2", 1, created: "10:00:00")
        #expect(dora.userID == "u-dora")
        #expect(dora.interactive == 1800)  // signed in 09:50, session 10:00–10:30
        #expect(dora.status == "asserted")
    }
}
