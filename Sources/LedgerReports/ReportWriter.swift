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
    public var htmlRows = 1000

    public init(queriesDirectory: String, templatesDirectory: String) throws(LedgerError) {
        _ = HTMLScalarEscaping.registered
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
        // With the findings report, every finding also goes to findings.ocsf.json, on a connection
        // of its own: a year can hold hundreds of thousands of findings.
        let ocsf = reports.contains { $0.csv == "findings.csv" }
        let jobs = reports.count + (ocsf ? 1 : 0)
        let results = ResultBox(count: jobs)
        let evidence = EvidenceIndex.load(ledger)
        // The findings' OCSF records are timed at the end of the window, or of the data when the
        // window is open (a ledger of reports alone, with no input files, has none: 0).
        var end = to == "9999" ? nil : UTCTime.seconds(to)
        if end == nil,
            case .text(let last) = (try? QueryRunner.run(sql: "SELECT max(last_event) FROM input_file", on: ledger))?
                .rows.first?.first
        {
            end = UTCTime.seconds(last)
        }
        let findingsTime = (end ?? 0) * 1000
        let toolVersion = provenance.toolVersion
        // Each report on a connection of its own, side by side; a prepared ledger's snapshot
        // lives in its one connection, so its reports run on it one after another.
        // The OCSF job, the longest over a year of findings, goes first; its result is the last.
        let offset = ocsf ? 1 : 0
        @Sendable func run(_ job: Int, on connection: ReadOnlyLedger) {
            let index = job < offset ? reports.count : job - offset
            do throws(LedgerError) {
                if job < offset {
                    try writeOCSF(
                        on: connection, directory: directory, evidence: evidence, time: findingsTime,
                        toolVersion: toolVersion)
                    results.set(index, .success(Section(dictionary: [:], html: [:], cites: .init())))
                    return
                }
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
            for index in 0..<jobs { run(index, on: ledger) }
        } else {
            DispatchQueue.concurrentPerform(iterations: jobs) { job in
                do throws(LedgerError) {
                    run(job, on: try ReadOnlyLedger(path: ledger.path))
                } catch {
                    results.set(job < offset ? reports.count : job - offset, .failure(error))
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
        if ocsf, case .failure(let error)? = results.values[reports.count] { throw error }
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
        if reports.contains(where: { $0.csv == "findings.csv" }) { written.append("findings.ocsf.json") }
        context["sections"] = htmlSections
        context["evidence"] = evidence.appendix(cites, ledger: ledger)
        try Self.atomicWrite(
            try render(template: "report", fallback: nil, context, extension: "html"), to: directory + "/report.html")
        written.append("report.html")
        return written
    }

    /// Writes `findings.ocsf.json`: every finding of the ledger, in the order the derive stored
    /// them (by code, subject, detail and evidence: the same ledger, the same bytes), read as
    /// SQLite gives them; not in the findings report's order, whose sort would cost a second one.
    private func writeOCSF(
        on ledger: ReadOnlyLedger, directory: String, evidence: EvidenceIndex, time: Int64, toolVersion: String
    ) throws(LedgerError) {
        var sink = try OCSFSink(
            path: directory + "/findings.ocsf.json", time: time, toolVersion: toolVersion, evidence: evidence)
        var columns: [Int] = []
        do throws(LedgerError) {
            try QueryRunner.stream(
                sql: "SELECT severity, code, subject, detail, evidence FROM finding ORDER BY rowid", on: ledger,
                columns: { names in
                    columns = ["severity", "code", "subject", "detail", "evidence"].map {
                        names.firstIndex(of: $0) ?? -1
                    }
                },
                raw: { row in
                    func text(_ i: Int) -> String {
                        guard i >= 0, i < row.count, case .text(let s) = row.value(i) else { return "" }
                        return s
                    }
                    try sink.record(
                        severity: text(columns[0]), code: text(columns[1]), subject: text(columns[2]),
                        detail: text(columns[3]), cited: text(columns[4]))
                })
            try sink.finish()
        } catch {
            sink.abandon()
            throw error
        }
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
            html: try htmlSection(
                report,
                [
                    "name": report.name, "title": report.title, "description": report.description,
                    "chart": SVGChart(kind: kind, longRows: table).context,
                ]), cites: .init())
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
        return Section(dictionary: section, html: try htmlSection(report, html), cites: cites)
    }

    /// A report's section of `report.html`, rendered on the thread that ran the report (the page
    /// takes its name, title and `body`).
    private func htmlSection(_ report: ReportDefinition, _ context: [String: Any]) throws(LedgerError) -> [String: Any]
    {
        [
            "name": report.name, "title": report.title,
            "body": try render(template: report.name, fallback: "section", context, extension: "html"),
        ]
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
