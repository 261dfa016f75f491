import Foundation
import LedgerModel

/// `sagemaker-job-state`: how SageMaker training and processing jobs ended, as AWS writes it.
///
/// Two shapes, one JSON object each:
/// - EventBridge's `SageMaker Training Job State Change` and `SageMaker Processing Job State
///   Change` events (`detail` is the job's description; its times are epoch milliseconds), as an
///   archive replays them or Firehose delivers them to S3: one event a line, or one document;
/// - a saved `aws sagemaker describe-training-job` / `describe-processing-job` answer (times as
///   the CLI prints them: ISO 8601 with an offset, or epoch seconds).
///
/// Each object is a row of `sagemaker_job_state`: the job, its status (`Completed`, `Failed`,
/// `Stopped`, `InProgress`, `Stopping`), `FailureReason`, its creation and end times, and its own
/// limit (`StoppingCondition.MaxRuntimeInSeconds`). Hyperparameters, environments, inputs and
/// outputs are never kept: they may hold secrets. A file is read whole (Foundation's parser;
/// these are small), up to ``maxDocumentBytes``.
public struct SageMakerJobStateFormat: LogFormat {
    public static let name = "sagemaker-job-state"
    public static let summary =
        "SageMaker job state changes (EventBridge) and saved describe-*-job answers: how each job ended"
    public static let maxDocumentBytes = 64 << 20
    public static let inputMode = InputMode.bytes

    public static func recognizes(_ head: HeadSample) -> Bool {
        let text = head.lines.prefix(50).joined(separator: "\n")
        guard text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\u{FEFF}" }).first == "{" else {
            return false
        }
        if text.contains("\"SageMaker Training Job State Change\"")
            || text.contains("\"SageMaker Processing Job State Change\"")
        {
            return true
        }
        return (text.contains("\"TrainingJobName\"") && text.contains("\"TrainingJobStatus\""))
            || (text.contains("\"ProcessingJobName\"") && text.contains("\"ProcessingJobStatus\""))
    }

    public static var tables: [StagingTable] { [table] }

    /// The `sagemaker_job_state` staging table (the store adds `file_id` and `line`: the line
    /// the object starts on, 1 for a whole document).
    public static let table = StagingTable(
        "sagemaker_job_state",
        columns: [
            "source", "account_id", "job_type", "job_name", "status", "secondary_status", "failure_reason",
            "created_at", "ended_at", "observed_at", "max_runtime_s",
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
            read(whole, line: 1, into: &rows)
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
                read(object, line: line, into: &rows)
            }
        }
        return tally.finish(batches: [rows])
    }

    /// One event or describe answer into `rows`; anything else a rejected line.
    private mutating func read(_ object: [String: Any], line: Int, into rows: inout TableBatch) {
        var job = object
        var source = "describe"
        var account: String?
        var observed: Int64?
        if let detailType = object["detail-type"] as? String {
            guard
                detailType == "SageMaker Training Job State Change"
                    || detailType == "SageMaker Processing Job State Change",
                let detail = object["detail"] as? [String: Any]
            else {
                tally.reject(
                    line: line, reason: "sagemaker-job-state: an event that is not a job's state change", excerpt: "")
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

    /// A time as EventBridge (epoch milliseconds) or the CLI (ISO 8601, or epoch seconds) writes
    /// it, in epoch milliseconds.
    static func instant(_ value: Any?) -> Int64? {
        switch value {
        case let n as NSNumber:
            let d = n.doubleValue
            guard d.isFinite, d > 0 else { return nil }
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
