import ArgumentParser
import Foundation
import LedgerModel
import LedgerPipeline
import Logging

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "The cron entry: ingest the configured inputs, derive, write the reports, check the data-quality gates.",
        discussion: """
            Quiet when all is well and stderr is not a terminal; says what is wrong otherwise. Exit codes: \
            0 success; 1 the run failed; 2 config error; 3 finished, but a data-quality gate failed; \
            4 another run holds the lock.
            """)

    @Option(name: .long, help: ArgumentHelp("The TOML config file.", valueName: "file"))
    var config: String

    @Flag(help: "Print a machine-readable run summary on stdout.")
    var json = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write the run's metrics to this file in Prometheus's text format (for node_exporter's textfile collector), atomically, whatever the exit code.",
            valueName: "file"))
    var metrics: String?

    func run() async throws {
        var record = RunMetrics(started: Date(), ended: Date(), exitCode: 0)
        do {
            try await nightly(&record)
        } catch {
            writeMetrics(&record, exitCode: (error as? ExitCode)?.rawValue ?? 1)
            throw error
        }
        writeMetrics(&record, exitCode: 0)
    }

    /// Writes `--metrics`, if asked for; a failure to is said on stderr and changes no exit code.
    func writeMetrics(_ record: inout RunMetrics, exitCode: Int32) {
        guard let metrics else { return }
        record.ended = Date()
        record.exitCode = exitCode
        record.lastSuccess = exitCode == 0 ? record.ended : RunMetrics.lastSuccess(in: metrics)
        do {
            try record.write(to: metrics)
        } catch {
            printError("error: \(error.localizedDescription)")
        }
    }

    func nightly(_ record: inout RunMetrics) async throws {
        try await withExitCodes {
            let configuration = try Configuration.load(path: config)
            guard !configuration.inputs.isEmpty else {
                throw LedgerError.config(path: config, line: nil, message: "nothing to ingest: add [[inputs]]")
            }
            var logger = Logger(label: "session-ledger.run")
            logger.logLevel = .notice
            var nightly = NightlyRun(
                configuration: configuration, reporting: try ReportAssets.reporting(configuration),
                toolVersion: SessionLedgerCommand.version, logger: logger)
            nightly.progress = ProgressLine.forTerminal()
            let outcome: NightlyRun.Outcome
            switch try await nightly.run(ingested: ProgressLine.clear) {
            case .success(let done): outcome = done
            case .failure(let held):
                printError(
                    "error: another run holds the lock \(held.path) (process \(held.holder)); try again when it has finished"
                )
                throw ExitCode(4)
            }
            let (summary, written, failures) = (outcome.ingest, outcome.reports, outcome.gateFailures)
            if metrics != nil {
                record.filesByAction = Dictionary(
                    uniqueKeysWithValues: FileReport.Action.allCases.map { action in
                        (action.rawValue, summary.files.filter { $0.action == action }.count)
                    })
                record.ledger = try? RunMetrics.LedgerFigures.read(database: configuration.database)
                record.gates = outcome.gates
            }

            let terminal = isatty(STDERR_FILENO) == 1
            for diagnostic in summary.diagnostics where terminal || !failures.isEmpty {
                printError(diagnostic.description)
            }
            if terminal {
                printError(IngestReport.text(summary, database: configuration.database))
                printError("report → \(configuration.reportDirectory): \(written.count) file(s)")
            }
            for failure in failures { printError("data-quality gate failed: \(failure)") }
            if json {
                print(
                    IngestReport.encode(
                        RunSummary(
                            ingest: IngestReport.Summary(summary, database: configuration.database),
                            reports: configuration.reportDirectory,
                            gateFailures: failures, exitCode: failures.isEmpty ? 0 : 3)))
            }
            if !failures.isEmpty { throw ExitCode(3) }
        }
    }
}

/// What `run --json` prints.
struct RunSummary: Encodable {
    var ingest: IngestReport.Summary
    var reports: String
    var gateFailures: [String]
    var exitCode: Int
}
