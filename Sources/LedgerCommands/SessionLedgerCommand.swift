import ArgumentParser
import Foundation
import LedgerModel
import LedgerPipeline

/// The root of the command tree: `session-ledger <subcommand>`.
public struct SessionLedgerCommand: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "session-ledger",
        abstract:
            "Rebuild every Livy Spark session from Livy, YARN and CloudTrail logs into one SQLite file, and report on it.",
        discussion: """
            Exit codes: 0 success; 1 the run failed (nothing half-written); 2 usage or config error;
            3 finished, but a data-quality gate failed; 4 another run holds the lock.
            """,
        version: version,
        subcommands: [
            Ingest.self, Status.self, Query.self, Report.self, Run.self, Verify.self, Demo.self,
        ])

    public init() {}

    /// The executable's entry point: parses the arguments, runs, exits with the right code.
    public static func start() async {
        await main()
    }
}

/// `--db` and `--config`, shared by every command that opens the ledger.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The SQLite file (default: the config's database, else ledger.sqlite).", valueName: "file"))
    var db: String?

    @Option(
        name: .long,
        help: ArgumentHelp("A TOML config file: inputs, time zones, rates, thresholds, gates.", valueName: "file"))
    var config: String?

    /// The configuration: the file's, or the defaults.
    func loadConfiguration() throws(LedgerError) -> Configuration {
        guard let config else { return Configuration() }
        return try Configuration.load(path: config)
    }

    func databasePath(_ configuration: Configuration) -> String {
        db ?? configuration.database
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs a command body, turning a ``LedgerError`` into a message on stderr and the exit code
/// of SPEC §6 (2 for usage and config errors, 1 for a failed run).
func withExitCodes(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as LedgerError {
        printError("error: \(error.localizedDescription)")
        switch error {
        case .config, .unknownFormat, .unknownTimeZone, .input: throw ExitCode(2)
        default: throw ExitCode(1)
        }
    }
}

/// Progress on stderr while a terminal watches (files, MB/s, ETA); nothing under cron.
enum ProgressLine {
    static func forTerminal() -> (@Sendable (Ingestor.Progress) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        let start = Date()
        return { p in
            let seconds = max(Date().timeIntervalSince(start), 0.001)
            let rate = Double(p.bytes) / 1_048_576 / seconds
            let eta = p.done > 0 ? seconds / Double(p.done) * Double(p.total - p.done) : 0
            let text = "\r\(p.done)/\(p.total) files, " + String(format: "%.2f MB/s, about %.0f s left ", rate, eta)
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    static func clear() {
        guard isatty(STDERR_FILENO) == 1 else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
