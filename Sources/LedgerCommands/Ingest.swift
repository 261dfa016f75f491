import ArgumentParser
import Foundation
import LedgerModel
import LedgerPipeline
import LedgerStore
import Logging

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read log files (gzipped or plain, any layout) into the ledger, then rebuild the derived tables.",
        discussion: """
            Formats are recognised by content. A file already stored (same path, size and mtime, or \
            same SHA-256) is skipped; a changed file replaces its earlier rows. Running the same \
            ingest twice changes nothing.
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("Files or directories to read.", valueName: "path"))
    var paths: [String] = []

    @Option(help: ArgumentHelp("Force a format instead of recognising it.", valueName: "name"))
    var format: String?

    @Option(help: ArgumentHelp("Cluster id for these files (wins over the path's EMR layout).", valueName: "id"))
    var cluster: String?

    @Option(
        help: ArgumentHelp(
            "IANA time zone of the timestamps in these files (default: the config's, else UTC).", valueName: "tz"))
    var timezone: String?

    @Flag(help: "Print a machine-readable summary on stdout.")
    var json = false

    @Flag(help: "Log what happened to every file on stderr.")
    var verbose = false

    func validate() throws {
        if paths.isEmpty && store.config == nil {
            throw ValidationError("give at least one path to read (or --config with [[inputs]])")
        }
    }

    func run() async throws {
        try await withExitCodes {
            let configuration = try store.loadConfiguration()
            let inputs: [Configuration.Input] =
                paths.isEmpty
                ? configuration.inputs.map { input in
                    var input = input
                    if let format { input.format = format }
                    if let cluster { input.cluster = cluster }
                    if let timezone { input.timeZone = timezone }
                    return input
                }
                : paths.map { Configuration.Input(path: $0, format: format, cluster: cluster, timeZone: timezone) }
            if inputs.isEmpty, let config = store.config {
                throw LedgerError.config(
                    path: config, line: nil, message: "nothing to ingest: give paths, or [[inputs]] in the config file")
            }
            let ledger = try LedgerStore(path: store.databasePath(configuration))
            var logger = Logger(label: "session-ledger.ingest")
            logger.logLevel = verbose ? .debug : .notice
            var ingestor = Ingestor(store: ledger, configuration: configuration, logger: logger)
            ingestor.progress = ProgressLine.forTerminal()
            let summary = try await ingestor.ingest(inputs)
            ProgressLine.clear()
            for diagnostic in summary.diagnostics { printError(diagnostic.description) }
            if json {
                print(IngestReport.json(summary, database: ledger.path))
            } else {
                printError(IngestReport.text(summary, database: ledger.path))
            }
        }
    }
}

/// How an ingest is told to a person (stderr) or a program (`--json`).
enum IngestReport {
    static func text(_ s: IngestSummary, database: String) -> String {
        let read = s.count(.loaded) + s.count(.replaced) + s.count(.appended)
        let moved =
            (s.count(.moved) > 0 ? ", \(s.count(.moved)) moved" : "")
            + (s.count(.appended) > 0 ? ", \(s.count(.appended)) read on" : "")
        var parts = [
            "\(s.files.count) file(s): \(s.count(.loaded)) new, \(s.count(.replaced)) replaced, \(s.count(.unchanged)) unchanged\(moved)"
        ]
        if read > 0 {
            parts.append(
                "\(s.records) record(s) stored, \(s.duplicates) duplicate(s) dropped, \(s.rejected) line(s) rejected")
        }
        let problems = FileStatus.allCases.filter(\.isProblem).compactMap { status -> String? in
            let n = s.count(status)
            return n > 0 ? "\(n) \(status.rawValue)" : nil
        }
        if !problems.isEmpty { parts.append("problems: " + problems.joined(separator: ", ")) }
        return "ingest → \(database): " + parts.joined(separator: "; ")
    }

    /// The run summary `--json` prints (keys in snake_case; absent values as `null`).
    struct Summary: Encodable {
        struct File: Encodable {
            var path: String
            var action: String
            var status: String
            var format: String?
            var records: Int
            var duplicates: Int
            var rejected: Int
            var detail: String?

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(path, forKey: .path)
                try c.encode(action, forKey: .action)
                try c.encode(status, forKey: .status)
                try c.encode(format, forKey: .format)  // null, not left out
                try c.encode(records, forKey: .records)
                try c.encode(duplicates, forKey: .duplicates)
                try c.encode(rejected, forKey: .rejected)
                try c.encode(detail, forKey: .detail)
            }

            enum CodingKeys: String, CodingKey {
                case path, action, status, format, records, duplicates, rejected, detail
            }
        }

        var database: String
        var filesSeen: Int
        var filesNew: Int
        var filesReplaced: Int
        var filesUnchanged: Int
        var records: Int
        var duplicates: Int
        var rejected: Int
        var derived: Bool
        var files: [File]

        init(_ s: IngestSummary, database: String) {
            self.database = database
            filesSeen = s.files.count
            filesNew = s.count(.loaded)
            filesReplaced = s.count(.replaced)
            filesUnchanged = s.count(.unchanged)
            records = s.records
            duplicates = s.duplicates
            rejected = s.rejected
            derived = s.derived
            files = s.files.map {
                File(
                    path: $0.path, action: $0.action.rawValue, status: $0.status.rawValue, format: $0.format,
                    records: $0.records, duplicates: $0.duplicates, rejected: $0.rejected, detail: $0.detail)
            }
        }
    }

    static func json(_ s: IngestSummary, database: String) -> String {
        encode(Summary(s, database: database))
    }

    /// JSON text of `value`: keys in snake_case and sorted, so the same run prints the same bytes.
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}
