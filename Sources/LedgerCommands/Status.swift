import ArgumentParser
import LedgerModel
import LedgerReports

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the manifest (every input file and what became of it), clusters, sessions, findings, quarantine and integrity.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await withExitCodes {
            let configuration = try store.loadConfiguration()
            let path = store.databasePath(configuration)
            let ledger = try ReadOnlyLedger(path: path)
            print(try StatusReport.render(ledger), terminator: "")
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
    static let statusSQL = "SELECT status, count(*) AS files, sum(records) AS records, sum(rejected) AS rejected FROM input_file GROUP BY status ORDER BY status"
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
    static let findingSQL = "SELECT severity, code, count(*) AS findings FROM finding GROUP BY severity, code ORDER BY code"
    static let quarantineSQL = """
        SELECT f.path, q.line, q.reason FROM quarantine q JOIN input_file f ON f.id = q.file_id
        ORDER BY f.path, q.line LIMIT 20
        """

    static func render(_ queue: ReadOnlyLedger) throws(LedgerError) -> String {
        var out = "ledger: \(queue.path)\n\n"
        out += "Input files\n" + TableRenderer.render(try QueryRunner.run(sql: manifestSQL, on: queue), as: .table) + "\n"
        out += "By status\n" + TableRenderer.render(try QueryRunner.run(sql: statusSQL, on: queue), as: .table) + "\n"
        out += "Clusters\n" + TableRenderer.render(try QueryRunner.run(sql: clusterSQL, on: queue), as: .table) + "\n"
        out += "Sessions\n" + TableRenderer.render(try QueryRunner.run(sql: sessionSQL, on: queue), as: .table) + "\n"
        out += "CloudTrail digests\n" + TableRenderer.render(try QueryRunner.run(sql: digestSQL, on: queue), as: .table) + "\n"
        out += "Findings\n" + TableRenderer.render(try QueryRunner.run(sql: findingSQL, on: queue), as: .table) + "\n"
        let quarantined = try QueryRunner.run(sql: "SELECT count(*) FROM quarantine", on: queue).rows.first?.first
        let count = if case .integer(let n) = quarantined { n } else { Int64(0) }
        out += "Quarantine (\(count) line(s) kept; the first 20)\n"
        out += TableRenderer.render(try QueryRunner.run(sql: quarantineSQL, on: queue), as: .table) + "\n"
        let check = try QueryRunner.run(sql: "PRAGMA quick_check", on: queue)
        let ok = check.rows == [[.text("ok")]]
        let problems = check.rows.compactMap { row -> String? in if case .text(let t) = row.first { t } else { nil } }
        out += "Integrity: " + (ok ? "ok (PRAGMA quick_check)" : problems.joined(separator: "; ")) + "\n"
        return out
    }
}
