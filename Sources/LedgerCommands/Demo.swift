import ArgumentParser
import Foundation
import LedgerModel
import LedgerPipeline
import LedgerReports
import LedgerStore

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole pipeline on the bundled samples/: ingest, derive, report.",
        discussion: "Starts from an empty ledger in the output directory each time, so it can be run again.")

    @Option(help: ArgumentHelp("Where the demo writes its ledger and its reports.", valueName: "dir"))
    var out = "session-ledger-demo"

    func run() async throws {
        try await withExitCodes {
            let samples = try Samples.locate()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let database = out + "/ledger.sqlite"
            for suffix in ["", "-journal", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: database + suffix)
            }
            let configuration = try Configuration.load(path: samples + "/session-ledger.toml")
            let ledger = try LedgerStore(path: database)
            let summary = try await Ingestor(store: ledger, configuration: configuration).ingest(configuration.inputs)

            print("session-ledger demo: read the bundled samples (\(samples)) into \(database)\n")
            print(IngestReport.text(summary, database: database))
            print("Expected problems in the samples (they show how bad input is reported):")
            for d in summary.diagnostics { print("  " + d.description) }
            let readOnly = try ReadOnlyLedger(path: database)
            print("\nLivy sessions (rebuilt from the Livy server and request logs, priced from YARN)")
            print(TableRenderer.render(try QueryRunner.run(sql: Self.sessions, on: readOnly), as: .table))
            let written = try ReportAssets.reporting(configuration).write(
                database: database, configuration: configuration, to: out, window: .all, only: [],
                toolVersion: SessionLedgerCommand.version)
            let report = (try? String(contentsOfFile: out + "/report.md", encoding: .utf8)) ?? ""
            let opening =
                report.split(separator: "\n", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? ""
            print(opening)
            print(
                """

                Reports in \(out)/: \(written.joined(separator: ", ")).
                Open the report in a browser: \(URL(fileURLWithPath: out + "/report.html").absoluteString)
                Next:
                  session-ledger status --db \(database)
                  session-ledger query --db \(database) "select * from finding"
                """)
        }
    }

    static let sessions = """
        SELECT cluster_id, iif(session_type = 'batch', 'batch ', '') || livy_session_id AS id, proxy_user AS user, created_at, end_reason,
               duration_s, idle_tail_s, abandoned, cost_basis,
               iif(cost_usd IS NULL, NULL, printf('%.2f', cost_usd)) AS cost_usd,
               iif(idle_cost_usd IS NULL, NULL, printf('%.2f', idle_cost_usd)) AS idle_cost_usd
        FROM session ORDER BY cluster_id, created_at
        """

}

/// Finds the bundled `samples/` directory: in the current directory (a checkout), else next to
/// the sources this binary was built from.
enum Samples {
    static func locate() throws(LedgerError) -> String {
        let marker = "/session-ledger.toml"
        if FileManager.default.fileExists(atPath: "samples" + marker) { return "samples" }
        let built = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples").path
        if FileManager.default.fileExists(atPath: built + marker) { return built }
        throw .input(
            path: "samples", message: "the bundled samples are not here; run the demo from the project's checkout")
    }
}
