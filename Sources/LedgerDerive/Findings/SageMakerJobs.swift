import Foundation
import GRDB

/// SageMaker training and processing jobs (SPEC §4): started with an identity-enhanced session they
/// carry `onBehalfOf`.
///
/// With user background sessions a job runs at most min(MaxRuntimeInSeconds, the background session
/// duration); without them it stops within 15 minutes of the user's sign-in ending.
enum SageMakerJobs {
    /// `identity` is what `IdentityDeriver` made of this derive's CloudTrail: the directory,
    /// sign-in windows and policy timeline (computed once; they were computed again here).
    static func rebuild(
        _ db: Database, settings: DeriveSettings, identity: IdentityDeriver.SessionContext, _ add: FindingsDeriver.Add
    ) throws {
        let policy = identity.policy
        let directory = identity.directory
        let windows = identity.windows
        var stops: [String: [Int64]] = [:]
        for r in try Row.fetchAll(
            db,
            sql: """
                SELECT event_time, event_name, request_parameters FROM ct_event
                WHERE event_source = 'sagemaker.amazonaws.com' AND event_name IN ('StopTrainingJob', 'StopProcessingJob') AND error_code IS NULL
                """)
        {
            let request = JSONValue.object(r["request_parameters"])
            guard
                let name = JSONValue.string(request, "trainingJobName")
                    ?? JSONValue.string(request, "processingJobName"),
                let t = SessionDeriver.seconds(r["event_time"])
            else { continue }
            stops[name, default: []].append(t)
        }
        let insert = try db.makeStatement(
            sql: """
                INSERT OR REPLACE INTO sagemaker_job (job_name, job_type, account_id, created_at, ended_at, user_id, user_name,
                  identity_status, max_runtime_s, session_limit_s, effective_limit_s, event_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
            let user: String? = r["on_behalf_of_user_id"]
            // The limit the user's session puts on the job.
            var sessionLimit: Int64?
            if policy.applicationAllowsBackground(at: r["event_time"]) == true {
                sessionLimit = Int64(settings.backgroundSessionDurationSeconds)
            } else if let user, let w = windows[user] {
                let open = w.filter { $0.0 <= created && created < $0.1 }.map(\.1).max()
                sessionLimit = (open.map { $0 - created } ?? 0) + IdentityDeriver.backgroundGraceSeconds
            }
            let effective = [maxRuntime, sessionLimit].compactMap { $0 }.min()
            let ended = stops[name]?.filter { $0 >= created }.min()
            try insert.execute(arguments: [
                name, training ? "training" : "processing", r["recipient_account_id"], SessionDeriver.iso(created),
                ended.map(SessionDeriver.iso), user, user.flatMap { directory.user(id: $0)?.userName },
                user == nil ? "missing" : "propagated",
                maxRuntime, sessionLimit, effective, r["event_id"],
            ])
            if let ended, let effective, let maxRuntime, maxRuntime > effective,
                abs((ended - created) - effective) <= 300
            {
                add(
                    "medium", "job_cut_by_session", name,
                    "ran \(ended - created) s, stopped at the session limit of \(effective) s although its own limit was \(maxRuntime) s",
                    "eventID \(r["event_id"] as String)")
            }
        }
    }
}
