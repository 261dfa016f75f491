import ArgumentParser
import LedgerModel
import LedgerReports

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Summarise the ledger: input files by format and status, the problem files, clusters, sessions, CloudTrail digests, findings, quarantine and integrity."
    )

    @OptionGroup var store: StoreOptions

    @Flag(name: .long, help: "List every input file and what became of it (the manifest), instead of the summary.")
    var files = false

    func run() async throws {
        try await withExitCodes {
            let configuration = try store.loadConfiguration()
            let path = store.databasePath(configuration)
            let ledger = try ReadOnlyLedger(path: path)
            print(try files ? StatusReport.renderFiles(ledger) : StatusReport.render(ledger), terminator: "")
        }
    }
}

enum StatusReport {
    /// The SQL behind each section; kept here so `status` shows exactly what it queried.
    static let manifestSQL = """
        SELECT path, format, status, lines, records, rejected, duplicates, first_event, last_event,
               cluster_id, detail
        FROM input_file ORDER BY path
        """
    /// The files by what they are and what became of them: the summary's first table, a few
    /// lines however many files there are.
    static let byFormatSQL = """
        SELECT coalesce(format, '-') AS format, status, count(*) AS files, sum(lines) AS records_read, sum(records) AS records,
               sum(rejected) AS rejected, sum(duplicates) AS duplicates, min(first_event) AS first_event, max(last_event) AS last_event
        FROM input_file GROUP BY 1, 2 ORDER BY 1, 2
        """
    /// Files that are damaged, unreadable or unrecognised, or had lines rejected.
    static let problemSQL = """
        SELECT path, coalesce(format, '-') AS format, status, rejected, detail FROM input_file
        WHERE status NOT IN ('ok', 'duplicate', 'empty') OR rejected > 0
        ORDER BY path LIMIT 20
        """
    static let problemCountSQL =
        "SELECT count(*) FROM input_file WHERE status NOT IN ('ok', 'duplicate', 'empty') OR rejected > 0"
    static let clusterSQL = "SELECT cluster_id, files, as_of FROM cluster ORDER BY cluster_id"
    static let sessionSQL = """
        SELECT cluster_id, count(*) AS sessions, sum(end_reason = 'still_running') AS running, sum(abandoned) AS abandoned,
               printf('%.2f', coalesce(sum(cost_usd), 0)) AS cost_usd
        FROM session GROUP BY cluster_id ORDER BY cluster_id
        """
    /// CloudTrail log files by what their digests say; `pending` ones were delivered after the
    /// newest digest (CloudTrail delivers digests an hour or more after the logs).
    static let digestSQL = """
        SELECT d.digest_status, count(*) AS files, min(f.path) AS first, max(f.path) AS last
        FROM ct_file_digest d JOIN input_file f ON f.id = d.file_id GROUP BY d.digest_status ORDER BY d.digest_status
        """
    static let findingSQL =
        "SELECT severity, code, count(*) AS findings FROM finding GROUP BY severity, code ORDER BY code"
    static let quarantineSQL = """
        SELECT f.path, q.line, q.reason FROM quarantine q JOIN input_file f ON f.id = q.file_id
        ORDER BY f.path, q.line LIMIT 20
        """

    /// Every input file (`status --files`): at 10,000 files, 10,000 lines.
    static func renderFiles(_ queue: ReadOnlyLedger) throws(LedgerError) -> String {
        "ledger: \(queue.path)\n\nInput files\n"
            + TableRenderer.render(try QueryRunner.run(sql: manifestSQL, on: queue), as: .table)
    }

    static func render(_ queue: ReadOnlyLedger) throws(LedgerError) -> String {
        var out = "ledger: \(queue.path)\n\n"
        out +=
            "Input files by format and status (every file: status --files)\n"
            + TableRenderer.render(try QueryRunner.run(sql: byFormatSQL, on: queue), as: .table) + "\n"
        let problemFiles = count(try QueryRunner.run(sql: problemCountSQL, on: queue))
        out +=
            "Problem files (\(problemFiles); the first 20)\n"
            + TableRenderer.render(try QueryRunner.run(sql: problemSQL, on: queue), as: .table) + "\n"
        out += "Clusters\n" + TableRenderer.render(try QueryRunner.run(sql: clusterSQL, on: queue), as: .table) + "\n"
        out += "Sessions\n" + TableRenderer.render(try QueryRunner.run(sql: sessionSQL, on: queue), as: .table) + "\n"
        out +=
            "CloudTrail digests\n" + TableRenderer.render(try QueryRunner.run(sql: digestSQL, on: queue), as: .table)
            + "\n"
        out += "Findings\n" + TableRenderer.render(try QueryRunner.run(sql: findingSQL, on: queue), as: .table) + "\n"
        let quarantined = count(try QueryRunner.run(sql: "SELECT count(*) FROM quarantine", on: queue))
        out += "Quarantine (\(quarantined) line(s) kept; the first 20)\n"
        out += TableRenderer.render(try QueryRunner.run(sql: quarantineSQL, on: queue), as: .table) + "\n"
        let check = try QueryRunner.run(sql: "PRAGMA quick_check", on: queue)
        let ok = check.rows == [[.text("ok")]]
        let problems = check.rows.compactMap { row -> String? in if case .text(let t) = row.first { t } else { nil } }
        out += "Integrity: " + (ok ? "ok (PRAGMA quick_check)" : problems.joined(separator: "; ")) + "\n"
        return out
    }

    /// The one number of a `count(*)` query.
    static func count(_ table: ResultTable) -> Int64 {
        if case .integer(let n) = table.rows.first?.first { n } else { 0 }
    }
}
