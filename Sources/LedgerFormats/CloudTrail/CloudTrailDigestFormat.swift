import Foundation
import LedgerModel

/// One CloudTrail digest file (formats.md §3.10): the hour it covers, the log files delivered
/// in it with the SHA-256 of their uncompressed content, and the hash of the previous digest.
public struct CloudTrailDigest: Sendable, Equatable {
    public struct LogFile: Sendable, Equatable {
        public var s3Bucket: String
        public var s3Object: String
        public var hashValue: String
        public var hashAlgorithm: String
        public var newestEventTime: String?
        public var oldestEventTime: String?
    }

    public var accountID: String
    public var digestStartTime: String
    public var digestEndTime: String
    public var digestS3Bucket: String
    public var digestS3Object: String
    public var previousDigestS3Bucket: String?
    public var previousDigestS3Object: String?
    public var previousDigestHashValue: String?
    public var previousDigestHashAlgorithm: String?
    public var logFiles: [LogFile]

    public struct Problem: Error, Equatable {
        public let reason: String
    }

    /// Reads a digest document (uncompressed JSON).
    public static func parse(_ data: Data) throws(Problem) -> CloudTrailDigest {
        guard let object = try? JSONSerialization.jsonObject(with: data), let d = object as? [String: Any] else {
            throw Problem(reason: "not a JSON object")
        }
        func string(_ key: String, in o: [String: Any]) throws(Problem) -> String {
            guard let s = o[key] as? String, !s.isEmpty else { throw Problem(reason: "\(key) missing or not a string") }
            return s
        }
        func optional(_ key: String, in o: [String: Any]) -> String? { o[key] as? String }
        guard let files = d["logFiles"] as? [Any] else { throw Problem(reason: "logFiles missing or not an array") }
        var logFiles: [LogFile] = []
        for (i, item) in files.enumerated() {
            guard let f = item as? [String: Any] else { throw Problem(reason: "logFiles[\(i)] is not an object") }
            logFiles.append(
                LogFile(
                    s3Bucket: try string("s3Bucket", in: f), s3Object: try string("s3Object", in: f),
                    hashValue: try string("hashValue", in: f).lowercased(),
                    hashAlgorithm: optional("hashAlgorithm", in: f) ?? "SHA-256",
                    newestEventTime: optional("newestEventTime", in: f),
                    oldestEventTime: optional("oldestEventTime", in: f)))
        }
        return CloudTrailDigest(
            accountID: try string("awsAccountId", in: d), digestStartTime: try string("digestStartTime", in: d),
            digestEndTime: try string("digestEndTime", in: d), digestS3Bucket: try string("digestS3Bucket", in: d),
            digestS3Object: try string("digestS3Object", in: d),
            previousDigestS3Bucket: optional("previousDigestS3Bucket", in: d),
            previousDigestS3Object: optional("previousDigestS3Object", in: d),
            previousDigestHashValue: optional("previousDigestHashValue", in: d)?.lowercased(),
            previousDigestHashAlgorithm: optional("previousDigestHashAlgorithm", in: d), logFiles: logFiles)
    }
}

/// `cloudtrail-digest`: CloudTrail's hourly digest files
/// (`AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/…_CloudTrail-Digest_….json.gz`).
///
/// Recognised so that they are never mistaken for logs (a known trap for log parsers), and stored
/// (`ct_digest`, `ct_digest_file`) for the integrity findings; `session-ledger verify` checks the
/// chain and the hashes.
public struct CloudTrailDigestFormat: LogFormat {
    public static let name = "cloudtrail-digest"
    public static let summary = "CloudTrail digest files: the hashes that prove no log file was changed or removed"
    public static let inputMode = InputMode.bytes
    static let maxDocumentBytes = 64 << 20

    public static func recognizes(_ head: HeadSample) -> Bool {
        let text = head.lines.prefix(100).joined(separator: "\n")
        guard text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }).first == "{" else {
            return false
        }
        return text.contains("\"digestStartTime\"")
            && (text.contains("\"logFiles\"") || text.contains("\"digestEndTime\""))
    }

    /// The staging tables this format fills.
    public static var tables: [StagingTable] { [digestTable, fileTable] }

    public static let digestTable = StagingTable(
        "ct_digest",
        columns: [
            "account_id", "region", "digest_start", "digest_end", "digest_s3_bucket", "digest_s3_object",
            "previous_s3_bucket", "previous_s3_object", "previous_hash", "log_files",
        ])
    public static let fileTable = StagingTable(
        "ct_digest_file",
        columns: ["digest_s3_object", "s3_bucket", "s3_object", "hash_value", "newest_event", "oldest_event"])

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
        var digests = TableBatch(Self.digestTable)
        var files = TableBatch(Self.fileTable)
        tally.sawRecord()
        guard !document.tooLarge else {
            tally.reject(line: 1, reason: "cloudtrail-digest: document larger than 64 MiB", excerpt: "")
            return tally.finish(batches: [])
        }
        do throws(CloudTrailDigest.Problem) {
            let d = try CloudTrailDigest.parse(Data(document.bytes))
            digests.append(
                line: 1,
                [
                    .text(d.accountID), .optionalText(context.input.region), .text(d.digestStartTime),
                    .text(d.digestEndTime),
                    .text(d.digestS3Bucket), .text(d.digestS3Object), .optionalText(d.previousDigestS3Bucket),
                    .optionalText(d.previousDigestS3Object), .optionalText(d.previousDigestHashValue),
                    .integer(Int64(d.logFiles.count)),
                ])
            for (i, f) in d.logFiles.enumerated() {
                files.append(
                    line: i + 1,
                    [
                        .text(d.digestS3Object), .text(f.s3Bucket), .text(f.s3Object), .text(f.hashValue),
                        .optionalText(f.newestEventTime), .optionalText(f.oldestEventTime),
                    ])
            }
            tally.produced(1 + d.logFiles.count)
            if let t = CloudTrailFormat.millis(d.digestEndTime) { tally.sawEvent(atMillis: t) }
            if let t = CloudTrailFormat.millis(d.digestStartTime) { tally.sawEvent(atMillis: t) }
        } catch {
            tally.reject(
                line: 1, reason: "cloudtrail-digest: \(error.reason)",
                excerpt: String(decoding: document.bytes.prefix(200), as: UTF8.self))
        }
        return tally.finish(batches: [digests, files])
    }
}
