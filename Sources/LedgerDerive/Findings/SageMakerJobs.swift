import Foundation
import GRDB

/// SageMaker training and processing jobs (SPEC §4): started with an identity-enhanced session they
/// carry `onBehalfOf`.
///
/// With user background sessions a job runs at most min(MaxRuntimeInSeconds, the background session
/// duration); without them it stops within 15 minutes of the user's sign-in ending. A job a
/// Pipelines step ran is the user's who started the execution (``PipelineExecutions``), and the
/// user's session is counted from that start: the execution, not each step, runs in it.
enum SageMakerJobs {
    /// `identity` is what `IdentityDeriver` made of this derive's CloudTrail: the directory,
    /// sign-in windows and policy timeline (computed once; they were computed again here).
    static func rebuild(
        _ db: Database, settings: DeriveSettings, identity: IdentityDeriver.SessionContext, _ add: FindingsDeriver.Add
    ) throws {
        let policy = identity.policy
        let directory = identity.directory
        let windows = identity.windows
        var stops: [String: [(at: Int64, event: String, name: String)]] = [:]
        for r in try Row.fetchAll(
            db,
            sql: """
                SELECT event_id, event_time, event_name, request_parameters FROM ct_event
                WHERE event_source = 'sagemaker.amazonaws.com' AND event_name IN ('StopTrainingJob', 'StopProcessingJob') AND error_code IS NULL
                ORDER BY event_time, event_id
                """)
        {
            let request = JSONValue.object(r["request_parameters"])
            guard
                let name = JSONValue.string(request, "trainingJobName")
                    ?? JSONValue.string(request, "processingJobName"),
                let t = SessionDeriver.seconds(r["event_time"])
            else { continue }
            stops[name, default: []].append((t, r["event_id"], r["event_name"]))
        }
        let states = try JobStates(db)
        let pipelines = try PipelineExecutions(db)
        let insert = try db.makeStatement(
            sql: """
                INSERT OR REPLACE INTO sagemaker_job (job_name, job_type, account_id, created_at, ended_at, user_id, user_name,
                  identity_status, max_runtime_s, session_limit_s, effective_limit_s, event_id, end_status, failure_reason,
                  end_evidence, pipeline_execution_arn, pipeline_step, user_evidence)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for r in try Row.fetchAll(
            db,
            sql: """
                SELECT event_id, event_time, event_name, recipient_account_id, on_behalf_of_user_id, request_parameters FROM ct_event
                WHERE event_source = 'sagemaker.amazonaws.com' AND event_name IN ('CreateTrainingJob', 'CreateProcessingJob') AND error_code IS NULL
                ORDER BY event_time, event_id
                """)
        {
            let training = (r["event_name"] as String) == "CreateTrainingJob"
            let request = JSONValue.object(r["request_parameters"])
            guard let name = JSONValue.string(request, training ? "trainingJobName" : "processingJobName"),
                let created = SessionDeriver.seconds(r["event_time"])
            else { continue }
            let stopping =
                JSONValue.member(request, training ? "stoppingCondition" : "stoppingCondition") as? [String: Any]
            let maxRuntime = (JSONValue.member(stopping, "maxRuntimeInSeconds") as? NSNumber)?.int64Value
            let type = training ? "training" : "processing"
            let account: String? = r["recipient_account_id"]
            // Whose job it is: its own call's `onBehalfOf`, else (a pipeline's step, created by
            // the pipeline's role) that of the call that started the execution.
            let pipeline = pipelines.link(type: type, name: name, account: account)
            var user: String? = r["on_behalf_of_user_id"]
            var userEvidence = user.map { _ in
                "onBehalfOf of \(r["event_name"] as String) eventID \(r["event_id"] as String)"
            }
            var identityStatus = user == nil ? "missing" : "propagated"
            if user == nil, let (execution, _) = pipeline, let starter = execution.user,
                let event = execution.startEvent
            {
                user = starter
                userEvidence = "onBehalfOf of StartPipelineExecution eventID \(event)"
                identityStatus = "asserted"
            }
            // The session is the user's from when the job, or the pipeline a user started, was
            // started (a scheduled execution has no user, and no user's session).
            let starter = pipeline.flatMap { $0.0.user == nil ? nil : $0.0 }
            let anchor = starter?.started.map { min($0, created) } ?? created
            let anchorText =
                anchor == created ? (r["event_time"] as String) : starter?.startedText ?? r["event_time"]
            // The limit the user's session puts on the job: the background session duration, or
            // (background sessions off) the end of the user's sign-in window and the grace; from
            // the job's creation.
            var sessionLimit: Int64?
            var windowEnd: Int64?
            let background = policy.applicationAllowsBackground(at: anchorText) == true
            let backgroundLimit = Int64(settings.backgroundSessionDurationSeconds)
            if background {
                sessionLimit = max(0, anchor + backgroundLimit - created)
            } else if let user, let w = windows[user] {
                let open = w.filter { $0.0 <= anchor && anchor < $0.1 }.map(\.1).max()
                windowEnd = open
                sessionLimit = max(0, (open ?? anchor) + IdentityDeriver.backgroundGraceSeconds - created)
            }
            let effective = [maxRuntime, sessionLimit].compactMap { $0 }.min()
            // How it ended: what AWS wrote of the job (its last state), else a Stop call (when the
            // stop was asked for; how the job ended is not known).
            let state = states.last(type: type, name: name, account: account)
            var ended: Int64?
            var endStatus: String?
            var endEvidence: String?
            if let state, JobStates.terminal.contains(state.status) {
                ended = state.ended ?? state.observed
                endStatus = state.status
                endEvidence = state.evidence
            } else if let stop = stops[name]?.first(where: { $0.at >= created }) {
                ended = stop.at
                endStatus = state?.status
                endEvidence =
                    "\(stop.name) eventID \(stop.event) (a stop asked for; how the job ended is not in the data)"
            } else if let state {
                endStatus = state.status
                endEvidence = state.evidence
            }
            try insert.execute(arguments: [
                name, type, account, SessionDeriver.iso(created),
                ended.map(SessionDeriver.iso), user, user.flatMap { directory.user(id: $0)?.userName },
                identityStatus, maxRuntime, sessionLimit, effective, r["event_id"], endStatus,
                state.flatMap { JobStates.terminal.contains($0.status) ? $0.failureReason : nil }, endEvidence,
                pipeline?.0.arn, pipeline?.1.step, userEvidence,
            ])
            // A cut only on evidence of how the job ended (SPEC §4; a Stop call is not that).
            guard let state, let ended, JobStates.terminal.contains(state.status), let maxRuntime else { continue }
            var evidence = "eventID \(r["event_id"] as String); \(state.evidence)"
            let reason = state.failureReason.map { " (\($0))" } ?? ""
            var inPipeline = ""
            if let (execution, link) = pipeline {
                inPipeline =
                    "; it ran \(link.step.map { "step \($0) of " } ?? "in ")pipeline \(execution.pipelineName) "
                    + "(execution \(execution.arn))" + (execution.user == nil ? "" : " that the user started")
                evidence +=
                    "; " + link.evidence + (execution.startEvent.map { "; StartPipelineExecution eventID \($0)" } ?? "")
            }
            if !background, let windowEnd, state.status == "Failed", ended >= windowEnd,
                ended <= windowEnd + IdentityDeriver.backgroundGraceSeconds + 60
            {
                add(
                    "medium", "job_cut_by_session", name,
                    "failed\(reason) \(ended - windowEnd) s after the user's sign-in ended, background sessions off "
                        + "(a job stops within 15 minutes of logout); it ran \(ended - created) s of its own limit of "
                        + "\(maxRuntime) s" + inPipeline,
                    evidence)
            } else if background, let sessionLimit, maxRuntime > sessionLimit, state.status != "Completed",
                abs(ended - (anchor + backgroundLimit)) <= 300
            {
                let since = anchor == created ? "" : " (\(ended - anchor) s after its pipeline started)"
                add(
                    "medium", "job_cut_by_session", name,
                    "\(state.status.lowercased())\(reason) after \(ended - created) s\(since), at the background session "
                        + "limit of \(backgroundLimit) s although its own limit was \(maxRuntime) s" + inPipeline,
                    evidence)
            }
        }
        try pipelines.write(db, directory: directory)
    }
}

/// What AWS wrote of each job's state (`sagemaker_job_state`): EventBridge state changes and
/// saved describe answers.
struct JobStates {
    struct State {
        var account: String?
        var status: String
        var failureReason: String?
        var ended: Int64?
        var observed: Int64?
        var evidence: String
    }

    /// The statuses a job ends in.
    static let terminal: Set<String> = ["Completed", "Failed", "Stopped"]

    /// By job type and name, in the order they were observed.
    private var byJob: [String: [State]] = [:]

    init(_ db: Database) throws {
        for r in try Row.fetchAll(
            db,
            sql: """
                SELECT s.job_type, s.job_name, s.account_id, s.status, s.failure_reason, s.ended_at, s.observed_at, s.source,
                       f.path || ':' || s.line AS evidence
                FROM sagemaker_job_state s JOIN input_file f ON f.id = s.file_id
                ORDER BY s.job_type, s.job_name, coalesce(s.observed_at, s.ended_at), f.path, s.line
                """)
        {
            let key = (r["job_type"] as String) + "/" + (r["job_name"] as String)
            byJob[key, default: []].append(
                State(
                    account: r["account_id"], status: r["status"], failureReason: r["failure_reason"],
                    ended: (r["ended_at"] as String?).flatMap(SessionDeriver.seconds),
                    observed: (r["observed_at"] as String?).flatMap(SessionDeriver.seconds),
                    evidence: (r["source"] as String == "eventbridge" ? "EventBridge " : "describe ")
                        + (r["evidence"] as String)))
        }
    }

    /// The job's state to go by: its last terminal one, else its last one (of its account, when
    /// both say which).
    func last(type: String, name: String, account: String?) -> State? {
        let all = (byJob[type + "/" + name] ?? []).filter { s in
            account == nil || s.account == nil || s.account == account
        }
        return all.last { Self.terminal.contains($0.status) } ?? all.last
    }
}
