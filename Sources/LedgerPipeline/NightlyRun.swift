import LedgerModel
import LedgerStore
import Logging

/// The cron entry's work, in order: one run per ledger (``RunLock``), the ingest with its derive,
/// every report over all the data, then the data-quality gates (``Gates``).
///
/// The command prints what it returns; nothing here prints.
public struct NightlyRun {
    public let configuration: Configuration
    public let reporting: Reporting
    public var logger: Logger
    public var progress: (@Sendable (Ingestor.Progress) -> Void)?
    /// The version the reports' footers name.
    public var toolVersion: String

    public init(configuration: Configuration, reporting: Reporting, toolVersion: String, logger: Logger) {
        self.configuration = configuration
        self.reporting = reporting
        self.toolVersion = toolVersion
        self.logger = logger
    }

    /// What a run did.
    public struct Outcome: Sendable {
        public var ingest: IngestSummary
        /// The report files written, by name.
        public var reports: [String]
        /// Every configured data-quality gate, held or failed.
        public var gates: [Gates.Result]
        /// One sentence per data-quality gate that failed.
        public var gateFailures: [String] { gates.compactMap(\.failure) }
    }

    /// Runs, or returns the lock another run holds (nothing is read then); `ingested` is called
    /// once the ingest is done, before the reports (the command clears its progress line).
    public func run(ingested: () -> Void = {}) async throws(LedgerError) -> Result<Outcome, RunLock.Held> {
        let lock = try RunLock(database: configuration.database)
        if let held = try lock.acquire() { return .failure(held) }
        let store = try LedgerStore(path: configuration.database)
        var ingestor = Ingestor(store: store, configuration: configuration, logger: logger)
        ingestor.progress = progress
        let summary = try await ingestor.ingest(configuration.inputs)
        ingested()
        let written = try reporting.write(
            database: configuration.database, configuration: configuration, to: configuration.reportDirectory,
            window: .all, only: [], toolVersion: toolVersion)
        let gates = try Gates.evaluate(database: configuration.database, gates: configuration.gates)
        return .success(Outcome(ingest: summary, reports: written, gates: gates))
    }
}
