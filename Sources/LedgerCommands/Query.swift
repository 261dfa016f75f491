import ArgumentParser
import LedgerModel
import LedgerReports

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one read-only SQL statement on the ledger and print the rows.",
        discussion: "The connection is read-only and a statement that would write is refused before it runs.")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("One SQL statement, e.g. \"select * from yarn_app\".", valueName: "sql"))
    var sql: String

    @Option(help: ArgumentHelp("Output: table, csv or json.", valueName: "style"))
    var format: TableRenderer.Style = .table

    func run() async throws {
        try await withExitCodes {
            let configuration = try store.loadConfiguration()
            let ledger = try ReadOnlyLedger(path: store.databasePath(configuration))
            let table = try QueryRunner.run(sql: sql, on: ledger)
            print(TableRenderer.render(table, as: format), terminator: "")
        }
    }
}

extension TableRenderer.Style: ExpressibleByArgument {}
