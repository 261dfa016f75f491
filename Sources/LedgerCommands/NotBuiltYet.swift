import ArgumentParser
import LedgerModel

// Commands of SPEC §6 whose stage is not built yet. They are in the tree so that `--help`
// shows the whole tool, and they say plainly what is missing instead of pretending.

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
