import ArgumentParser
import Foundation
import LedgerModel
import LedgerPipeline

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the Markdown report and every CSV of SPEC §5 from the ledger.",
        discussion: """
            A session belongs to the window it was created in; --from and --to are days (YYYY-MM-DD), \
            both included. Files are written to a temporary name and renamed, so a reader never sees \
            half a report; the same ledger and config give the same bytes.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("First day of the window (YYYY-MM-DD).", valueName: "date")) var from: String?
    @Option(help: ArgumentHelp("Last day of the window (YYYY-MM-DD), included.", valueName: "date")) var to: String?
    @Option(
        help: ArgumentHelp("Output directory (default: the config's [report] out, else ./reports).", valueName: "dir"))
    var out: String?
    @Option(
        parsing: .upToNextOption, help: ArgumentHelp("Only these reports (names of Queries/*.sql).", valueName: "name"))
    var only: [String] = []

    func run() async throws {
        try await withExitCodes {
            let configuration = try store.loadConfiguration()
            let written = try ReportAssets.reporting(configuration).write(
                database: store.databasePath(configuration), configuration: configuration,
                to: out ?? configuration.reportDirectory,
                window: try Reporting.Window.days(from: from, to: to), only: only,
                toolVersion: SessionLedgerCommand.version)
            printError("report → \(out ?? configuration.reportDirectory): \(written.joined(separator: ", "))")
        }
    }
}

/// The report queries and templates: the config's own, else those that come with the tool
/// (`Queries/` and `Reports/templates/` of the checkout it was built from, or of the current
/// directory).
enum ReportAssets {
    static func reporting(_ configuration: Configuration) throws(LedgerError) -> Reporting {
        let root = try projectRoot()
        return Reporting(
            queriesDirectory: configuration.reportQueries ?? root + "/Queries",
            templatesDirectory: configuration.reportTemplates ?? root + "/Reports/templates")
    }

    static func projectRoot() throws(LedgerError) -> String {
        if FileManager.default.fileExists(atPath: "Queries/sessions.sql") { return "." }
        let built = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        if FileManager.default.fileExists(atPath: built + "/Queries/sessions.sql") { return built }
        throw .input(
            path: "Queries",
            message: "the report queries are not here; set [report] queries and templates in the config")
    }
}
