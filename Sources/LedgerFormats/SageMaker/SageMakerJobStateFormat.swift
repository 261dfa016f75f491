import Foundation
import LedgerModel

/// `sagemaker-job-state`: how SageMaker training and processing jobs, and the Pipelines
/// executions that ran them, ended, as AWS writes it.
///
/// Three shapes, one JSON object each:
/// - EventBridge's `SageMaker Training Job State Change` and `SageMaker Processing Job State
///   Change` events (`detail` is the job's description; its times are epoch milliseconds), as an
///   archive replays them or Firehose delivers them to S3: one event a line, or one document;
/// - EventBridge's `SageMaker Model Building Pipeline Execution Status Change` and `… Execution
///   Step Status Change` events (`detail` in lowerCamelCase, ISO times; a step's `metadata`
///   names the training or processing job it ran), delivered the same ways;
/// - a saved `aws sagemaker describe-training-job` / `describe-processing-job` answer (times as
///   the CLI prints them: ISO 8601 with an offset, or epoch seconds).
///
/// A job's state is a row of `sagemaker_job_state`: the job, its status (`Completed`, `Failed`,
/// `Stopped`, `InProgress`, `Stopping`), `FailureReason`, its creation and end times, and its own
/// limit (`StoppingCondition.MaxRuntimeInSeconds`). A pipeline's is a row of
/// `sagemaker_pipeline_state`: the execution, the step (none for the execution's own status),
/// its status, failure reason, times and job. Hyperparameters, environments, inputs, outputs and
/// pipeline parameters are never kept: they may hold secrets. A file is read whole
/// (Foundation's parser; these are small), up to ``maxDocumentBytes``.
public struct SageMakerJobStateFormat: LogFormat {
    public static let name = "sagemaker-job-state"
    public static let summary =
        "SageMaker job and Pipelines state changes (EventBridge) and saved describe-*-job answers: how each job ended"
    /// The parser's revision: 2 reads Pipelines execution and step events (1 rejected them).
    public static let revision = 2
    public static let maxDocumentBytes = 64 << 20
    public static let inputMode = InputMode.bytes

    static let trainingEvent = "SageMaker Training Job State Change"
    static let processingEvent = "SageMaker Processing Job State Change"
    static let executionEvent = "SageMaker Model Building Pipeline Execution Status Change"
    static let stepEvent = "SageMaker Model Building Pipeline Execution Step Status Change"

    public static func recognizes(_ head: HeadSample) -> Bool {
        let text = head.lines.prefix(50).joined(separator: "\n")
        guard text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\u{FEFF}" }).first == "{" else {
            return false
        }
        if [trainingEvent, processingEvent, executionEvent, stepEvent].contains(where: { text.contains("\"\($0)\"") }) {
            return true
        }
        return (text.contains("\"TrainingJobName\"") && text.contains("\"TrainingJobStatus\""))
            || (text.contains("\"ProcessingJobName\"") && text.contains("\"ProcessingJobStatus\""))
    }

    public static var tables: [StagingTable] { [table, pipelineTable] }

    /// The `sagemaker_job_state` staging table (the store adds `file_id` and `line`: the line
    /// the object starts on, 1 for a whole document).
    public static let table = StagingTable(
        "sagemaker_job_state",
        columns: [
            "source", "account_id", "job_type", "job_name", "status", "secondary_status", "failure_reason",
            "created_at", "ended_at", "observed_at", "max_runtime_s",
        ])

    /// The `sagemaker_pipeline_state` staging table: one row per execution or step event.
    public static let pipelineTable = StagingTable(
        "sagemaker_pipeline_state",
        columns: [
            "account_id", "execution_arn", "pipeline_arn", "step_name", "step_type", "status", "failure_reason",
            "started_at", "ended_at", "observed_at", "job_type", "job_name",
        ])

    private var context: ParseContext
    private var tally = ParseTally()
    private var document = DocumentBuffer(limit: maxDocumentBytes)

    public init(context: ParseContext) {
        self.context = context
    }

    public mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer) {}

    public mutating func consume(chunk bytes: UnsafeRawBufferPointer) {
        document.append(bytes)
    }

    public mutating func finish() -> ParsedFile {
        var rows = TableBatch(Self.table)
        var pipelines = TableBatch(Self.pipelineTable)
        if document.tooLarge {
            tally.sawRecord()
            tally.reject(
                line: 1, reason: "sagemaker-job-state: document larger than \(Self.maxDocumentBytes >> 20) MiB",
                excerpt: "")
            return tally.finish(batches: [])
        }
        let bytes = document.bytes
        // One document (a describe answer, pretty-printed), else one object a line.
        if let whole = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] {
            tally.sawRecord()
            read(whole, line: 1, into: &rows, &pipelines)
        } else {
            var line = 0
            for piece in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                line += 1
                let text = piece.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
                guard !text.isEmpty else { continue }
                tally.sawRecord()
                guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any] else {
                    tally.reject(
                        line: line, reason: "sagemaker-job-state: not a JSON object",
                        excerpt: String(decoding: text.prefix(200), as: UTF8.self))
                    continue
                }
                read(object, line: line, into: &rows, &pipelines)
            }
        }
        return tally.finish(batches: [rows, pipelines])
    }

    /// One event or describe answer into `rows` (a job's) or `pipelines`; anything else a
    /// rejected line.
    private mutating func read(
        _ object: [String: Any], line: Int, into rows: inout TableBatch, _ pipelines: inout TableBatch
    ) {
        var job = object
        var source = "describe"
        var account: String?
        var observed: Int64?
        if let detailType = object["detail-type"] as? String {
            if detailType == Self.executionEvent || detailType == Self.stepEvent,
                let detail = object["detail"] as? [String: Any]
            {
                readPipeline(detail, of: object, step: detailType == Self.stepEvent, line: line, into: &pipelines)
                return
            }
            guard detailType == Self.trainingEvent || detailType == Self.processingEvent,
                let detail = object["detail"] as? [String: Any]
            else {
                tally.reject(
                    line: line, reason: "sagemaker-job-state: an event that is not a job's or pipeline's state change",
                    excerpt: "")
                return
            }
            job = detail
            source = "eventbridge"
            account = object["account"] as? String
            observed = (object["time"] as? String).flatMap(Self.millis)
        }
        let training = job["TrainingJobName"] != nil
        let prefix = training ? "Training" : "Processing"
        guard let name = job[prefix + "JobName"] as? String, let status = job[prefix + "JobStatus"] as? String else {
            tally.reject(line: line, reason: "sagemaker-job-state: no job name and status", excerpt: "")
            return
        }
        if account == nil, let arn = job[prefix + "JobArn"] as? String {
            let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count > 4, !parts[4].isEmpty { account = String(parts[4]) }
        }
        let created = Self.instant(job["CreationTime"])
        let ended = Self.instant(job[training ? "TrainingEndTime" : "ProcessingEndTime"])
        let stopping = job["StoppingCondition"] as? [String: Any]
        let maxRuntime = (stopping?["MaxRuntimeInSeconds"] as? NSNumber)?.int64Value
        for t in [created, ended, observed].compactMap({ $0 }) { tally.sawEvent(atMillis: t) }
        rows.append(
            line: line,
            [
                .text(source), .optionalText(account ?? context.input.accountID),
                .text(training ? "training" : "processing"), .text(name), .text(status),
                .optionalText(job["SecondaryStatus"] as? String),
                .optionalText(job["FailureReason"] as? String),
                .optionalText(created.map(UTCTime.iso8601(millis:))),
                .optionalText(ended.map(UTCTime.iso8601(millis:))),
                // A saved answer does not say when it was saved (its mtime is the copy's, not
                // AWS's): only an event's time is stored.
                .optionalText(observed.map(UTCTime.iso8601(millis:))),
                .optionalInteger(maxRuntime),
            ])
        tally.produced()
    }

    /// A Pipelines execution or step event into `rows`.
    private mutating func readPipeline(
        _ detail: [String: Any], of event: [String: Any], step: Bool, line: Int, into rows: inout TableBatch
    ) {
        let status = detail[step ? "currentStepStatus" : "currentPipelineExecutionStatus"] as? String
        guard let execution = detail["pipelineExecutionArn"] as? String, let status,
            !step || detail["stepName"] is String
        else {
            tally.reject(
                line: line, reason: "sagemaker-job-state: a pipeline event without its execution, step or status",
                excerpt: "")
            return
        }
        // The job a step ran, from its ARN (`…:training-job/<name>`); other steps (models,
        // conditions, transforms) run none this ledger follows.
        var jobType: String?
        var jobName: String?
        let metadata = detail["metadata"] as? [String: Any]
        for (key, type, marker) in [
            ("trainingJob", "training", ":training-job/"), ("processingJob", "processing", ":processing-job/"),
        ] {
            guard let arn = (metadata?[key] as? [String: Any])?["arn"] as? String,
                let r = arn.range(of: marker), r.upperBound < arn.endIndex
            else { continue }
            jobType = type
            jobName = String(arn[r.upperBound...])
        }
        let started = Self.instant(detail[step ? "stepStartTime" : "executionStartTime"])
        let ended = Self.instant(detail[step ? "stepEndTime" : "executionEndTime"])
        let observed = (event["time"] as? String).flatMap(Self.millis)
        for t in [started, ended, observed].compactMap({ $0 }) { tally.sawEvent(atMillis: t) }
        rows.append(
            line: line,
            [
                .optionalText((event["account"] as? String) ?? context.input.accountID), .text(execution),
                .optionalText(detail["pipelineArn"] as? String),
                .optionalText(step ? detail["stepName"] as? String : nil),
                .optionalText(step ? detail["stepType"] as? String : nil), .text(status),
                .optionalText(detail["failureReason"] as? String),
                .optionalText(started.map(UTCTime.iso8601(millis:))),
                .optionalText(ended.map(UTCTime.iso8601(millis:))),
                .optionalText(observed.map(UTCTime.iso8601(millis:))),
                .optionalText(jobType), .optionalText(jobName),
            ])
        tally.produced()
    }

    /// A time as EventBridge (epoch milliseconds) or the CLI (ISO 8601, or epoch seconds) writes
    /// it, in epoch milliseconds.
    static func instant(_ value: Any?) -> Int64? {
        switch value {
        case let n as NSNumber:
            let d = n.doubleValue
            // Past the year 9999 in milliseconds is no time (and would not fit an Int64).
            guard d.isFinite, d > 0, d < 2.6e14 else { return nil }
            // Epoch seconds are under 1e11 until the year 5138; milliseconds are over it.
            return d >= 1e11 ? Int64(d.rounded()) : Int64((d * 1000).rounded())
        case let s as String:
            return millis(s)
        default:
            return nil
        }
    }

    /// `2025-11-17T18:00:00Z`, `2025-11-17T18:00:00.123000+00:00` and the like, in epoch ms.
    static func millis(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let trimmed = Self.sixDigitsToThree(text)
        if let date = formatter.date(from: trimmed) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        return nil
    }

    /// The CLI prints microseconds (`.123000`); Foundation reads at most milliseconds.
    static func sixDigitsToThree(_ text: String) -> String {
        guard let dot = text.firstIndex(of: ".") else { return text }
        let digits = text[text.index(after: dot)...].prefix { $0.isNumber }
        guard digits.count > 3 else { return text }
        return String(text[...dot]) + digits.prefix(3) + text[digits.endIndex...]
    }
}
