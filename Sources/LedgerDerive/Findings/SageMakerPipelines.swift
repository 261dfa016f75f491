import Foundation
import GRDB
import LedgerModel

/// SageMaker Pipelines executions, and the training and processing jobs their steps ran.
///
/// An execution is known from its `StartPipelineExecution` call (who started it: the
/// `onBehalfOf` of an identity-enhanced session) and from what EventBridge wrote of it and its
/// steps (`sagemaker_pipeline_state`). A step's jobs are created by the pipeline's own role, so
/// their create calls need not carry the user: the execution says whose they are. A job is tied
/// to its execution by a step event naming it, else by its name: SageMaker names a step's job
/// `pipelines-<execution id>-<step>-<suffix>`.
struct PipelineExecutions {
    struct Execution {
        var arn: String
        var pipelineName: String
        var account: String?
        /// When it started, and the same instant as the ledger stores event times (the policy
        /// timeline compares those as text).
        var started: Int64?
        var startedText: String?
        var user: String?
        var startEvent: String?
        var status: String?
        var failureReason: String?
        var ended: Int64?
        var endEvidence: String?
        /// `StopPipelineExecution` calls, in time order.
        var stops: [(at: Int64, event: String)] = []
        /// The earliest time a step event gives: the start of an execution known only from
        /// its steps.
        var firstStep: (at: Int64, text: String)?
    }

    /// How a job is known to belong to an execution.
    struct Link {
        var executionARN: String
        var step: String?
        var evidence: String
    }

    /// By lowercased execution ARN.
    private(set) var executions: [String: Execution] = [:]
    /// By job type and lowercased job name (ARNs write names in lower case).
    private var steps: [String: Link] = [:]
    /// Lowercased execution id → lowercased execution ARN.
    private var byID: [String: String] = [:]

    /// An execution's statuses that end it.
    static let terminal: Set<String> = ["Succeeded", "Failed", "Stopped"]

    init(_ db: Database) throws {
        for r in try Row.fetchAll(
            db,
            sql: """
                SELECT event_id, event_time, event_name, recipient_account_id, on_behalf_of_user_id, request_parameters,
                       response_elements
                FROM ct_event
                WHERE event_source = 'sagemaker.amazonaws.com'
                  AND event_name IN ('StartPipelineExecution', 'StopPipelineExecution') AND error_code IS NULL
                ORDER BY event_time, event_id
                """)
        {
            guard let at = SessionDeriver.seconds(r["event_time"]) else { continue }
            let request = JSONValue.object(r["request_parameters"])
            if (r["event_name"] as String) == "StopPipelineExecution" {
                guard let arn = JSONValue.string(request, "pipelineExecutionArn") else { continue }
                var e = execution(arn, account: r["recipient_account_id"])
                e.stops.append((at, r["event_id"]))
                executions[arn.lowercased()] = e
                continue
            }
            guard let arn = JSONValue.string(JSONValue.object(r["response_elements"]), "pipelineExecutionArn") else {
                continue
            }
            var e = execution(arn, account: r["recipient_account_id"])
            guard e.startEvent == nil else { continue }
            if let name = JSONValue.string(request, "pipelineName") {
                // The request may name the pipeline by its ARN.
                e.pipelineName = name.range(of: ":pipeline/").map { String(name[$0.upperBound...]) } ?? name
            }
            e.started = at
            e.startedText = r["event_time"]
            e.user = r["on_behalf_of_user_id"]
            e.startEvent = r["event_id"]
            executions[arn.lowercased()] = e
        }
        for r in try Row.fetchAll(
            db,
            sql: """
                SELECT s.account_id, s.execution_arn, s.step_name, s.status, s.failure_reason, s.started_at, s.ended_at,
                       s.observed_at, s.job_type, s.job_name, f.path || ':' || s.line AS evidence
                FROM sagemaker_pipeline_state s JOIN input_file f ON f.id = s.file_id
                ORDER BY coalesce(s.observed_at, s.ended_at, s.started_at), f.path, s.line
                """)
        {
            let arn: String = r["execution_arn"]
            var e = execution(arn, account: r["account_id"])
            let evidence = "EventBridge " + (r["evidence"] as String)
            if let step: String = r["step_name"] {
                if let type: String = r["job_type"], let name: String = r["job_name"] {
                    steps[type + "/" + name.lowercased()] = Link(
                        executionARN: arn.lowercased(), step: step, evidence: evidence)
                }
                let text: String? = r["started_at"] ?? r["observed_at"]
                if let text, let at = SessionDeriver.seconds(text), at < (e.firstStep?.at ?? .max) {
                    e.firstStep = (at, text)
                }
            } else {
                // The execution's own status: its start if no call said it, its last end.
                let started = (r["started_at"] as String?).flatMap(SessionDeriver.seconds)
                if e.started == nil, let started {
                    e.started = started
                    e.startedText = r["started_at"]
                }
                let status: String = r["status"]
                if Self.terminal.contains(status) || !(e.status.map(Self.terminal.contains) ?? false) {
                    e.status = status
                    e.failureReason = r["failure_reason"]
                    e.ended =
                        (r["ended_at"] as String?).flatMap(SessionDeriver.seconds)
                        ?? (Self.terminal.contains(status)
                            ? (r["observed_at"] as String?).flatMap(SessionDeriver.seconds) : nil)
                    e.endEvidence = evidence
                }
            }
            executions[arn.lowercased()] = e
        }
        // Each execution id names one execution (`…:pipeline/<name>/execution/<id>`); an id two
        // known ARNs share ties no job by its name.
        var ambiguous = Set<String>()
        for key in executions.keys.sorted() {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count >= 4, parts[parts.count - 2] == "execution", key.contains(":pipeline/"),
                let id = parts.last, !id.isEmpty
            else { continue }
            if byID.updateValue(key, forKey: String(id)) != nil { ambiguous.insert(String(id)) }
            if var e = executions[key], e.started == nil, let first = e.firstStep {
                e.started = first.at
                e.startedText = first.text
                executions[key] = e
            }
        }
        for id in ambiguous { byID[id] = nil }
    }

    /// The execution of `arn`, as known so far (its pipeline's name from the ARN,
    /// `…:pipeline/<name>/execution/<id>`).
    private func execution(_ arn: String, account: String?) -> Execution {
        if var known = executions[arn.lowercased()] {
            if known.account == nil { known.account = account }
            return known
        }
        let parts = arn.split(separator: "/", omittingEmptySubsequences: false)
        let name = parts.count >= 4 && parts[parts.count - 2] == "execution" ? String(parts[parts.count - 3]) : arn
        var accountInARN: String?
        let fields = arn.split(separator: ":", omittingEmptySubsequences: false)
        if fields.count > 4, !fields[4].isEmpty { accountInARN = String(fields[4]) }
        return Execution(arn: arn, pipelineName: name, account: accountInARN ?? account)
    }

    /// The execution a job ran in, and how that is known.
    func link(type: String, name: String, account: String?) -> (Execution, Link)? {
        let lower = name.lowercased()
        var link = steps[type + "/" + lower]
        if link == nil, lower.hasPrefix("pipelines-") {
            let id = lower.dropFirst("pipelines-".count).prefix { $0 != "-" }
            if let arn = byID[String(id)] {
                link = Link(executionARN: arn, step: nil, evidence: "job name (pipelines-\(id)-…)")
            }
        }
        guard let link, let e = executions[link.executionARN],
            account == nil || e.account == nil || account == e.account
        else { return nil }
        return (e, link)
    }

    /// `sagemaker_pipeline_execution`, with how many of the jobs in `sagemaker_job` each ran.
    func write(_ db: Database, directory: IdentityDirectory) throws {
        var jobs: [String: Int] = [:]
        for r in try Row.fetchAll(
            db,
            sql: """
                SELECT lower(pipeline_execution_arn), count(*) FROM sagemaker_job
                WHERE pipeline_execution_arn IS NOT NULL GROUP BY 1
                """)
        {
            jobs[r[0]] = r[1]
        }
        let insert = try db.makeStatement(
            sql: """
                INSERT INTO sagemaker_pipeline_execution (execution_arn, pipeline_name, account_id, started_at, ended_at,
                  status, failure_reason, user_id, user_name, identity_status, jobs, event_id, end_evidence)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for key in executions.keys.sorted() {
            let e = executions[key]!
            var ended = e.ended
            var evidence = e.endEvidence
            if !(e.status.map(Self.terminal.contains) ?? false),
                let stop = e.stops.first(where: { $0.at >= (e.started ?? .min) })
            {
                ended = stop.at
                evidence =
                    "StopPipelineExecution eventID \(stop.event) (a stop asked for; how it ended is not in the data)"
            }
            let identity = e.startEvent == nil ? "unknown" : (e.user == nil ? "missing" : "propagated")
            try insert.execute(arguments: [
                e.arn, e.pipelineName, e.account, e.started.map(SessionDeriver.iso), ended.map(SessionDeriver.iso),
                e.status, Self.terminal.contains(e.status ?? "") ? e.failureReason : nil, e.user,
                e.user.flatMap { directory.user(id: $0)?.userName }, identity, jobs[key] ?? 0, e.startEvent, evidence,
            ])
        }
    }
}
