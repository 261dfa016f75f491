import Foundation
import GRDB
import LedgerScenarios
import LedgerTestSupport
import Testing

/// SageMaker Pipelines (issue 20): a step's job is created by the pipeline's role, so it is the
/// user's who started the execution, and the user's session is counted from that start.
///
/// Every expectation is worked out by hand from the files below (2025-11-24, UTC; background
/// session duration 3 h = 10800 s; the Identity Center application ENABLED at 07:00, DISABLED
/// at 12:00).
/// - Execution A (`churn`, `aaaa1111bbbb`): pia starts it at 08:00. Its `Prepare` step's job
///   (created 08:01, limit 3600 s) is named by a step event (its ARN in lower case) and completes
///   08:30. Its `Train` job (08:31, limit 86400 s) has no step event: its name ties it to A. It
///   fails at 11:02, 120 s after pia's background session ends (08:00 + 10800 s = 11:00): a cut.
///   Counted from the job's own creation the session would end at 11:31, 1740 s away: no cut.
/// - Execution B (`cccc2222dddd`): max starts it at 13:00, background sessions off, inside his
///   sign-in window 12:30–13:30. Its `Train` job (13:05) fails at 13:40, 600 s after his logout:
///   a cut. A stop asked for at 13:50 does not replace the end EventBridge wrote (13:41).
/// - Execution C (`nightly-score`, `eeee3333ffff`): no start call in the data (a schedule), still
///   executing when an admin stops it at 14:20. Its job (14:00) has no user: no cut when it
///   fails at 14:10.
/// - `pipelines-zzzz9999zzzz-Other-k5` names an execution nobody knows: tied to none.
/// - Execution D (`scoring`, `dddd4444eeee`) is known only from a step event: it started when
///   its step did (14:50:10); its job is tied to it by that event.
/// - Execution E: a stop at 07:30 comes before pia starts it at 07:45: it is no end of E.
/// - Execution F: pia starts it at 08:05 (background on: her session ends 11:05); its job,
///   created 11:30, fails 11:31, 26 minutes after that end: no cut. (Counted from the job's
///   creation with the limit clamped at 0 s, a failure a minute in would have looked like one.)
@Suite("SageMaker Pipelines: whose a step's job is, from when its session counts, how it ended")
struct PipelineTests {
    static let account = "111122223333"
    static func arn(_ pipeline: String, _ id: String) -> String {
        "arn:aws:sagemaker:us-east-1:\(account):pipeline/\(pipeline)/execution/\(id)"
    }

    static func ct(_ id: String, _ time: String, _ name: String, _ identity: String, _ more: String = "") -> String {
        #"{"eventVersion":"1.11","userIdentity":\#(identity),"eventTime":"2025-11-24T\#(time)Z","eventSource":"sagemaker.amazonaws.com","eventName":"\#(name)","awsRegion":"us-east-1","eventID":"\#(id)","recipientAccountId":"\#(account)"\#(more)}"#
    }

    static func studio(_ user: String) -> String {
        #"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/SageMakerStudio/s","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/SageMakerStudio"}},"onBehalfOf":{"userId":"\#(user)","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#
    }

    static let pipelineRole =
        #"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/PipelineRole/sagemaker-pipeline-x","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/PipelineRole"}}}"#
    static let admin = #"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/ops"}"#

    static func start(_ id: String, _ time: String, _ user: String, _ execution: String) -> String {
        ct(
            id, time, "StartPipelineExecution", studio(user),
            #","requestParameters":{"pipelineName":"churn","clientRequestToken":"t-\#(id)"},"responseElements":{"pipelineExecutionArn":"\#(execution)"}"#
        )
    }

    static func create(_ id: String, _ time: String, training: Bool, _ name: String, limit: Int) -> String {
        let key = training ? "trainingJobName" : "processingJobName"
        return ct(
            id, time, training ? "CreateTrainingJob" : "CreateProcessingJob", pipelineRole,
            #","requestParameters":{"\#(key)":"\#(name)","stoppingCondition":{"maxRuntimeInSeconds":\#(limit)}}"#)
    }

    static func stop(_ id: String, _ time: String, _ execution: String) -> String {
        ct(id, time, "StopPipelineExecution", admin, #","requestParameters":{"pipelineExecutionArn":"\#(execution)"}"#)
    }

    static func signIn(_ id: String, _ time: String, source: String, _ name: String, _ user: String, _ more: String)
        -> String
    {
        #"{"eventVersion":"1.11","userIdentity":{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"\#(user)","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}},"eventTime":"2025-11-24T\#(time)Z","eventSource":"\#(source)","eventName":"\#(name)","awsRegion":"us-east-1","eventID":"\#(id)","recipientAccountId":"111122223333"\#(more)}"#
    }

    static func policy(_ id: String, _ time: String, _ status: String) -> String {
        #"{"eventVersion":"1.11","userIdentity":\#(admin),"eventTime":"2025-11-24T\#(time)Z","eventSource":"sso.amazonaws.com","eventName":"PutApplicationSessionConfiguration","awsRegion":"us-east-1","eventID":"\#(id)","recipientAccountId":"111122223333","requestParameters":{"applicationArn":"arn:aws:sso::111122223333:application/ssoins-1/apl-X","userBackgroundSessionApplicationStatus":"\#(status)"}}"#
    }

    static var trail: String {
        let a = arn("churn", "aaaa1111bbbb")
        let b = arn("churn", "cccc2222dddd")
        let c = arn("nightly-score", "eeee3333ffff")
        let e = arn("churn", "eeee5555ffff")
        let f = arn("churn", "ffff6666aaaa")
        return "{\"Records\":["
            + [
                policy("p-on", "07:00:00", "ENABLED"),
                start("start-a", "08:00:00", "u-pia", a),
                create("job-a1", "08:01:00", training: false, "pipelines-aaaa1111bbbb-Prepare-k1x", limit: 3600),
                create("job-a2", "08:31:00", training: true, "pipelines-aaaa1111bbbb-Train-k2y", limit: 86400),
                policy("p-off", "12:00:00", "DISABLED"),
                signIn(
                    "in-m", "12:30:00", source: "signin.amazonaws.com", "UserAuthentication", "u-max",
                    #","additionalEventData":{"UserName":"max"},"serviceEventDetails":{"UserAuthentication":"Success"}"#
                ),
                start("start-b", "13:00:00", "u-max", b),
                create("job-b1", "13:05:00", training: true, "pipelines-cccc2222dddd-Train-k3z", limit: 86400),
                signIn("out-m", "13:30:00", source: "sso.amazonaws.com", "Logout", "u-max", ""),
                stop("stop-b", "13:50:00", b),
                create("job-c1", "14:00:00", training: false, "pipelines-eeee3333ffff-Score-k4w", limit: 7200),
                create("job-z", "14:05:00", training: true, "pipelines-zzzz9999zzzz-Other-k5", limit: 3600),
                stop("stop-c", "14:20:00", c),
                stop("stop-e", "07:30:00", e),
                start("start-e", "07:45:00", "u-pia", e),
                start("start-f", "08:05:00", "u-pia", f),
                create("job-f1", "11:30:00", training: true, "pipelines-ffff6666aaaa-Late-k8", limit: 86400),
                create("job-d1", "14:50:00", training: false, "pipelines-dddd4444eeee-Score-k6", limit: 3600),
            ].joined(separator: ",") + "]}"
    }

    static func eventBridge(_ type: String, _ time: String, _ detail: String) -> String {
        #"{"version":"0","id":"\#(time)","detail-type":"\#(type)","source":"aws.sagemaker","account":"\#(account)","time":"2025-11-24T\#(time)Z","region":"us-east-1","resources":[],"detail":\#(detail)}"#
    }

    static func jobState(
        _ time: String, training: Bool, _ name: String, _ status: String, endMillis: Int64, _ reason: String?
    )
        -> String
    {
        let p = training ? "Training" : "Processing"
        let failure = reason.map { #","FailureReason":"\#($0)""# } ?? ""
        return eventBridge(
            "SageMaker \(p) Job State Change", time,
            #"{"\#(p)JobName":"\#(name)","\#(p)JobStatus":"\#(status)","\#(p)EndTime":\#(endMillis)\#(failure)}"#)
    }

    static func step(
        _ time: String, _ execution: String, _ step: String, _ status: String, _ job: String, started: String? = nil
    ) -> String {
        let start = started.map { #","stepStartTime":"2025-11-24T\#($0)Z""# } ?? ""
        return eventBridge(
            "SageMaker Model Building Pipeline Execution Step Status Change", time,
            #"{"metadata":{\#(job)},"stepName":"\#(step)","currentStepStatus":"\#(status)"\#(start),"pipelineExecutionArn":"\#(execution)"}"#
        )
    }

    static func execution(
        _ time: String, _ execution: String, _ status: String, start: String, end: String?, _ reason: String?
    )
        -> String
    {
        let ended = end.map { #","executionEndTime":"2025-11-24T\#($0)Z""# } ?? ""
        let failure = reason.map { #","failureReason":"\#($0)""# } ?? ""
        return eventBridge(
            "SageMaker Model Building Pipeline Execution Status Change", time,
            #"{"currentPipelineExecutionStatus":"\#(status)","executionStartTime":"2025-11-24T\#(start)Z"\#(ended)\#(failure),"pipelineExecutionArn":"\#(execution)"}"#
        )
    }

    /// The EventBridge delivery, one event a line (line numbers in the comments).
    static var events: String {
        let a = arn("churn", "aaaa1111bbbb")
        let b = arn("churn", "cccc2222dddd")
        let c = arn("nightly-score", "eeee3333ffff")
        return [
            // 1
            step(
                "08:30:05", a, "Prepare", "Succeeded",
                #""processingJob":{"arn":"arn:aws:sagemaker:us-east-1:111122223333:processing-job/pipelines-aaaa1111bbbb-prepare-k1x"}"#
            ),
            // 2, 3 (1763973000000 is 08:30:00; 1763982120000 is 11:02:00)
            jobState(
                "08:30:02", training: false, "pipelines-aaaa1111bbbb-Prepare-k1x", "Completed",
                endMillis: 1_763_973_000_000, nil),
            jobState(
                "11:02:02", training: true, "pipelines-aaaa1111bbbb-Train-k2y", "Failed", endMillis: 1_763_982_120_000,
                "ClientError: session ended"),
            // 4
            execution(
                "11:02:05", a, "Failed", start: "08:00:00", end: "11:02:05",
                "Step failure: One or multiple steps failed."),
            // 5, 6 (1763991600000 is 13:40:00)
            step(
                "13:40:03", b, "Train", "Failed",
                #""trainingJob":{"arn":"arn:aws:sagemaker:us-east-1:111122223333:training-job/pipelines-cccc2222dddd-train-k3z"}"#
            ),
            jobState(
                "13:40:02", training: true, "pipelines-cccc2222dddd-Train-k3z", "Failed", endMillis: 1_763_991_600_000,
                "ClientError: session ended"),
            // 7, 8
            execution("13:41:00", b, "Failed", start: "13:00:00", end: "13:41:00", "Step failure"),
            execution("13:59:00", c, "Executing", start: "13:59:00", end: nil, nil),
            // 9 (1763993400000 is 14:10:00)
            jobState(
                "14:10:02", training: false, "pipelines-eeee3333ffff-Score-k4w", "Failed", endMillis: 1_763_993_400_000,
                "AlgorithmError: x"),
            // 10
            step(
                "15:00:05", Self.arn("scoring", "dddd4444eeee"), "Score", "Succeeded",
                #""processingJob":{"arn":"arn:aws:sagemaker:us-east-1:111122223333:processing-job/pipelines-dddd4444eeee-score-k6"}"#,
                started: "14:50:10"),
            // 11 (1763983860000 is 11:31:00)
            jobState(
                "11:31:02", training: true, "pipelines-ffff6666aaaa-Late-k8", "Failed", endMillis: 1_763_983_860_000,
                "ClientError: x"),
        ].joined(separator: "\n") + "\n"
    }

    /// The ledger's directory.
    static let scenario = Task {
        try await ingestFiles(
            [
                "logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/11/24/111122223333_CloudTrail_us-east-1_20251124T1505Z_abcdefghijklmnop.json":
                    trail,
                "logs/sagemaker/events.json": events,
                "identities.csv": "userId,userName,email,costCenter\nu-pia,pia,,\nu-max,max,,\n",
            ],
            config: "[identities]\nfile = \"identities.csv\"\n[thresholds]\nbackground_session_duration = \"3h\"\n",
            shared: true
        ).0
    }

    func rows(_ sql: String) async throws -> [[String]] {
        let dir = try await Self.scenario.value
        return try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            try Row.fetchAll(db, sql: sql).map { row in
                row.databaseValues.map { value -> String in
                    switch value.storage {
                    case .null: return "-"
                    case .int64(let i): return "\(i)"
                    case .string(let s): return s.replacingOccurrences(of: dir.path + "/", with: "")
                    default: return "\(value)"
                    }
                }
            }
        }
    }

    @Test(
        "a step's job is the starter's (asserted), tied by a step event or its name; limits from the execution's start")
    func jobs() async throws {
        let a = Self.arn("churn", "aaaa1111bbbb")
        let b = Self.arn("churn", "cccc2222dddd")
        let c = Self.arn("nightly-score", "eeee3333ffff")
        let have = try await rows(
            """
            SELECT job_name, user_name, identity_status, session_limit_s, effective_limit_s, ended_at, end_status,
                   pipeline_execution_arn, pipeline_step, user_evidence
            FROM sagemaker_job ORDER BY created_at
            """)
        #expect(
            have == [
                [
                    "pipelines-aaaa1111bbbb-Prepare-k1x", "pia", "asserted", "10740", "3600", "2025-11-24T08:30:00Z",
                    "Completed", a, "Prepare", "onBehalfOf of StartPipelineExecution eventID start-a",
                ],
                [
                    "pipelines-aaaa1111bbbb-Train-k2y", "pia", "asserted", "8940", "8940", "2025-11-24T11:02:00Z",
                    "Failed", a, "-", "onBehalfOf of StartPipelineExecution eventID start-a",
                ],
                [
                    "pipelines-ffff6666aaaa-Late-k8", "pia", "asserted", "0", "0", "2025-11-24T11:31:00Z", "Failed",
                    Self.arn("churn", "ffff6666aaaa"), "-", "onBehalfOf of StartPipelineExecution eventID start-f",
                ],
                [
                    "pipelines-cccc2222dddd-Train-k3z", "max", "asserted", "2400", "2400", "2025-11-24T13:40:00Z",
                    "Failed", b, "Train", "onBehalfOf of StartPipelineExecution eventID start-b",
                ],
                [
                    "pipelines-eeee3333ffff-Score-k4w", "-", "missing", "-", "7200", "2025-11-24T14:10:00Z", "Failed",
                    c, "-", "-",
                ],
                ["pipelines-zzzz9999zzzz-Other-k5", "-", "missing", "-", "3600", "-", "-", "-", "-", "-"],
                [
                    "pipelines-dddd4444eeee-Score-k6", "-", "missing", "-", "3600", "-", "-",
                    Self.arn("scoring", "dddd4444eeee"), "Score", "-",
                ],
            ])
    }

    @Test("a cut counted from the pipeline's start, and one within 15 minutes of logout; none without a user")
    func cuts() async throws {
        let a = Self.arn("churn", "aaaa1111bbbb")
        let b = Self.arn("churn", "cccc2222dddd")
        let have = try await rows(
            "SELECT subject, detail, evidence FROM finding WHERE code = 'job_cut_by_session' ORDER BY subject")
        #expect(
            have == [
                [
                    "pipelines-aaaa1111bbbb-Train-k2y",
                    "failed (ClientError: session ended) after 9060 s (10920 s after its pipeline started), at the "
                        + "background session limit of 10800 s although its own limit was 86400 s; it ran in pipeline "
                        + "churn (execution \(a)) that the user started",
                    "eventID job-a2; EventBridge logs/sagemaker/events.json:3; job name (pipelines-aaaa1111bbbb-…); "
                        + "StartPipelineExecution eventID start-a",
                ],
                [
                    "pipelines-cccc2222dddd-Train-k3z",
                    "failed (ClientError: session ended) 600 s after the user's sign-in ended, background sessions off "
                        + "(a job stops within 15 minutes of logout); it ran 2100 s of its own limit of 86400 s; it ran "
                        + "step Train of pipeline churn (execution \(b)) that the user started",
                    "eventID job-b1; EventBridge logs/sagemaker/events.json:6; EventBridge logs/sagemaker/events.json:5; "
                        + "StartPipelineExecution eventID start-b",
                ],
            ])
    }

    @Test(
        "executions: who started each, its jobs, how it ended (EventBridge over a stop call, no stop before the start), unknown without a start"
    )
    func executions() async throws {
        let have = try await rows(
            """
            SELECT execution_arn, pipeline_name, account_id, started_at, ended_at, status, failure_reason, user_name,
                   identity_status, jobs, event_id, end_evidence
            FROM sagemaker_pipeline_execution ORDER BY execution_arn
            """)
        #expect(
            have == [
                [
                    Self.arn("churn", "aaaa1111bbbb"), "churn", Self.account, "2025-11-24T08:00:00Z",
                    "2025-11-24T11:02:05Z", "Failed", "Step failure: One or multiple steps failed.", "pia",
                    "propagated",
                    "2", "start-a", "EventBridge logs/sagemaker/events.json:4",
                ],
                [
                    Self.arn("churn", "cccc2222dddd"), "churn", Self.account, "2025-11-24T13:00:00Z",
                    "2025-11-24T13:41:00Z", "Failed", "Step failure", "max", "propagated", "1", "start-b",
                    "EventBridge logs/sagemaker/events.json:7",
                ],
                [
                    Self.arn("churn", "eeee5555ffff"), "churn", Self.account, "2025-11-24T07:45:00Z", "-", "-", "-",
                    "pia", "propagated", "0", "start-e", "-",
                ],
                [
                    Self.arn("churn", "ffff6666aaaa"), "churn", Self.account, "2025-11-24T08:05:00Z", "-", "-", "-",
                    "pia", "propagated", "1", "start-f", "-",
                ],
                [
                    Self.arn("nightly-score", "eeee3333ffff"), "nightly-score", Self.account, "2025-11-24T13:59:00Z",
                    "2025-11-24T14:20:00Z", "Executing", "-", "-", "unknown", "1", "-",
                    "StopPipelineExecution eventID stop-c (a stop asked for; how it ended is not in the data)",
                ],
                [
                    Self.arn("scoring", "dddd4444eeee"), "scoring", Self.account, "2025-11-24T14:50:10Z", "-", "-", "-",
                    "-", "unknown", "1", "-", "-",
                ],
            ])
    }
}
