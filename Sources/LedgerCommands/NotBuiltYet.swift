import ArgumentParser
import LedgerModel

// Commands of SPEC §6 whose stage is not built yet. They are in the tree so that `--help`
// shows the whole tool, and they say plainly what is missing instead of pretending.

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the Markdown and CSV reports (not built yet: the report stage comes next).")

    @OptionGroup var store: StoreOptions
    @Option(help: "Start of the report window (a session belongs to the window it was created in).") var from: String?
    @Option(help: "End of the report window.") var to: String?
    @Option(help: "Output directory.") var out: String?
    @Option(parsing: .upToNextOption, help: "Only these reports.") var only: [String] = []

    func run() async throws {
        try await withExitCodes {
            throw LedgerError.notBuiltYet(
                command: "report",
                detail: "the report stage (Queries/ + Reports/ templates) is not written yet; use 'session-ledger query' on the ledger meanwhile")
        }
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The cron entry: ingest the configured inputs, derive, report (not built yet: needs the report stage).")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await withExitCodes {
            throw LedgerError.notBuiltYet(
                command: "run",
                detail: "it needs the report stage; meanwhile 'session-ledger ingest --config FILE' ingests the configured inputs")
        }
    }
}
