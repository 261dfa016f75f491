import Foundation
import LedgerModel
import LedgerSQLite
import Mustache

/// Runs the report queries on a read-only ledger and writes their CSV files, `report.md` and
/// `report.html`.
///
/// Every file is written to a temporary name in the output directory and renamed, so a reader
/// never sees half a report; the same ledger, window and templates give the same bytes.
public struct ReportWriter: Sendable {
    public let queries: [ReportDefinition]
    /// `report.md.mustache`, `section.md.mustache` and optional `<report>.md.mustache` overrides.
    public let templatesDirectory: String
    /// Rows of each report shown in `report.md` (all are in its CSV).
    public var topRows = 10
    /// Rows of each report in `report.html`, where they can be sorted and filtered: all of them
    /// up to this many (a year's sessions would make a page no browser opens).
    public var htmlRows = 5000

    public init(queriesDirectory: String, templatesDirectory: String) throws(LedgerError) {
        queries = try ReportDefinition.load(directory: queriesDirectory)
        self.templatesDirectory = templatesDirectory
    }

    /// The report names `--only` accepts.
    public var names: [String] { queries.filter { $0.csv != nil }.map(\.name) }

    /// Writes the reports; returns the files written, in order.
    public func write(
        ledger: ReadOnlyLedger, to directory: String, from: String, to: String, only: Set<String> = [],
        provenance: Provenance
    ) throws(LedgerError) -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .input(path: directory, message: "cannot create the output directory: \(error.localizedDescription)")
        }
        let arguments = ["from": from, "to": to]
        var written: [String] = []
        var sections: [[String: Any]] = []
        // The reports are independent read-only queries: they run side by side, one connection
        // each, on every core (a year of sessions is seconds of SQLite work per report).
        let charts = only.isEmpty ? queries.filter { $0.chart != nil } : []
        let reports = charts + queries.filter { $0.csv != nil && (only.isEmpty || only.contains($0.name)) }
        let results = ResultBox(count: reports.count)
        let evidence = EvidenceIndex.load(ledger)
        // Each report on a connection of its own, side by side; a prepared ledger's snapshot
        // lives in its one connection, so its reports run on it one after another.
        @Sendable func run(_ index: Int, on connection: ReadOnlyLedger) {
            do throws(LedgerError) {
                let report = reports[index]
                results.set(
                    index,
                    .success(
                        report.csv == nil
                            ? try chartSection(report, on: connection, arguments: arguments)
                            : try csvSection(
                                report, on: connection, arguments: arguments, directory: directory, evidence: evidence
                            )))
            } catch {
                results.set(index, .failure(error))
            }
        }
        if ledger.isPrepared {
            for index in reports.indices { run(index, on: ledger) }
        } else {
            DispatchQueue.concurrentPerform(iterations: reports.count) { index in
                do throws(LedgerError) {
                    run(index, on: try ReadOnlyLedger(path: ledger.path))
                } catch {
                    results.set(index, .failure(error))
                }
            }
        }
        for (report, result) in zip(reports, results.values) {
            switch result {
            case .success(let section):
                if let csv = report.csv { written.append(csv) }
                sections.append(section.dictionary)
            case .failure(let error):
                throw error
            case nil:
                preconditionFailure("report \(report.name) did not run")
            }
        }
        let order = Dictionary(queries.map { ($0.name, $0.order) }, uniquingKeysWith: { a, _ in a })
        func key(_ section: [String: Any]) -> (Int, String) {
            let name = section["name"] as? String ?? ""
            return (order[name] ?? Int.max, name)
        }
        sections.sort { key($0) < key($1) }
        var htmlSections: [[String: Any]] = []
        var cites = EvidenceIndex.Citations()
        for (report, result) in zip(reports, results.values) {
            guard case .success(let section) = result else { continue }
            cites.formUnion(section.cites)
            htmlSections.append(section.html.merging(["order": order[report.name] ?? Int.max]) { a, _ in a })
        }
        htmlSections.sort {
            ($0["order"] as? Int ?? Int.max, $0["name"] as? String ?? "")
                < ($1["order"] as? Int ?? Int.max, $1["name"] as? String ?? "")
        }
        var context: [String: Any] = [
            "sections": sections,
            "tool_version": provenance.toolVersion, "window": provenance.window,
            "time_zones": provenance.timeZones.joined(separator: "; "),
            "rate_card": provenance.rateCard.joined(separator: "; "),
            "config_digest": provenance.configDigest, "manifest_digest": provenance.manifestDigest,
        ]
        if let summary = queries.first(where: { $0.name == "summary" }) {
            let table = try QueryRunner.run(sql: summary.sql, on: ledger, arguments: arguments, file: summary.path)
            if let row = table.rows.first {
                for (column, value) in zip(table.columns, row) {
                    context[column] = CellFormat.markdownCell(value, column: column)
                }
                if case .real(let cost) = row[table.columns.firstIndex(of: "cost_usd") ?? 0],
                    case .real(let idle) = row[table.columns.firstIndex(of: "idle_cost_usd") ?? 0], cost > 0
                {
                    context["idle_percent"] = String(format: "%.0f", idle / cost * 100)
                } else {
                    context["idle_percent"] = "0"
                }
            }
        }
        try Self.atomicWrite(try render(template: "report", fallback: nil, context), to: directory + "/report.md")
        written.append("report.md")
        context["sections"] = htmlSections
        context["evidence"] = evidence.appendix(cites, ledger: ledger)
        try Self.atomicWrite(
            try render(template: "report", fallback: nil, context, extension: "html"), to: directory + "/report.html")
        written.append("report.html")
        return written
    }

    /// Runs one chart query; returns its section of `report.md`.
    private func chartSection(_ report: ReportDefinition, on ledger: ReadOnlyLedger, arguments: [String: String])
        throws(LedgerError) -> Section
    {
        let table = try QueryRunner.run(sql: report.sql, on: ledger, arguments: arguments, file: report.path)
        let section: [String: Any] = [
            "name": report.name, "title": report.title, "description": report.description,
            "chart": Chart.mermaid(table, kind: report.chart ?? "line", title: report.title),
        ]
        let kind = SVGChart.Kind(rawValue: report.chart ?? "line") ?? .line
        return Section(
            dictionary: section.merging(["body": try render(template: report.name, fallback: "chart", section)]) {
                a, _ in a
            },
            html: [
                "name": report.name, "title": report.title, "description": report.description,
                "chart": SVGChart(kind: kind, longRows: table).context,
            ], cites: .init())
    }

    /// Runs one report into its CSV file; returns its section of `report.md`.
    private func csvSection(
        _ report: ReportDefinition, on ledger: ReadOnlyLedger, arguments: [String: String], directory: String,
        evidence: EvidenceIndex
    ) throws(LedgerError) -> Section {
        let csv = report.csv ?? report.name + ".csv"
        // Rows go to the CSV file as SQLite gives them; report.md keeps only the first few.
        var sink = try CSVSink(path: directory + "/" + csv)
        var shown = ResultTable(columns: [], rows: [])
        var htmlRows: [[SQLValue]] = []
        var rowCount = 0
        do throws(LedgerError) {
            try QueryRunner.stream(
                sql: report.sql, on: ledger, arguments: arguments, file: report.path,
                columns: { columns in
                    shown.columns = columns
                    sink.header(columns)
                },
                raw: { row in
                    try sink.row(row)
                    if rowCount < max(topRows, self.htmlRows) {
                        let values = (0..<row.count).map(row.value)
                        if rowCount < self.htmlRows { htmlRows.append(values) }
                        if rowCount < topRows { shown.rows.append(values) }
                    }
                    rowCount += 1
                })
            try sink.finish()
        } catch {
            sink.abandon()
            throw error
        }
        var section: [String: Any] = [
            "name": report.name, "title": report.title, "description": report.description, "csv": csv,
            "rows": rowCount, "table": rowCount == 0 ? "_No rows._" : CellFormat.markdown(shown),
        ]
        if rowCount > topRows { section["more"] = rowCount - topRows }
        section["body"] = try render(template: report.name, fallback: "section", section)
        let (table, cites) = HTMLTable.context(
            columns: shown.columns, rows: htmlRows, total: rowCount, evidence: evidence)
        var html: [String: Any] = [
            "name": report.name, "title": report.title, "description": report.description, "csv": csv, "table": table,
        ]
        if let plot = report.plotSpec,
            let chart = SVGChart(
                kind: SVGChart.Kind(rawValue: plot.kind) ?? .line, x: plot.x, ys: plot.ys,
                wideRows: ResultTable(columns: shown.columns, rows: htmlRows))
        {
            html["chart"] = chart.context
        }
        return Section(dictionary: section, html: html, cites: cites)
    }

    /// A section of `report.md` and of `report.html`, handed from the thread that ran its report.
    struct Section: @unchecked Sendable {
        let dictionary: [String: Any]
        let html: [String: Any]
        /// The files and events its cells cite.
        let cites: EvidenceIndex.Citations
    }

    /// Each report's outcome, filled in by the threads that run them.
    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [Result<Section, LedgerError>?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ result: Result<Section, LedgerError>) {
            lock.lock()
            values[index] = result
            lock.unlock()
        }
    }

    private func render(
        template name: String, fallback: String?, _ context: [String: Any], extension: String = "md"
    ) throws(LedgerError) -> String {
        let candidates = [name] + (fallback.map { [$0] } ?? [])
        for candidate in candidates {
            let path = templatesDirectory + "/" + candidate + "." + `extension` + ".mustache"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            do {
                return try MustacheTemplate(string: text).render(context)
            } catch {
                throw .query(message: "\(path): not a valid template: \(error)")
            }
        }
        throw .input(
            path: templatesDirectory + "/" + name + "." + `extension` + ".mustache", message: "no such report template")
    }

    /// Writes `text` to `path` by way of a temporary file in the same directory.
    static func atomicWrite(_ text: String, to path: String) throws(LedgerError) {
        let temporary = path + ".partial"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw .input(path: path, message: "cannot write the report: \(error.localizedDescription)")
        }
    }
}
