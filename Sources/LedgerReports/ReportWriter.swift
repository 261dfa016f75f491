import Foundation
import LedgerModel
import Mustache

/// Where a report's numbers came from, printed at its foot (SPEC §5).
public struct Provenance: Sendable {
    public var toolVersion: String
    /// `2025-11-17 … 2025-11-23`, or `all data`.
    public var window: String
    /// `input → time zone`.
    public var timeZones: [String]
    /// `from YYYY-MM-DD: $x per vCPU-hour, $y per GiB-hour`.
    public var rateCard: [String]
    public var configDigest: String
    public var manifestDigest: String

    public init(toolVersion: String, window: String, timeZones: [String], rateCard: [String], configDigest: String, manifestDigest: String) {
        self.toolVersion = toolVersion
        self.window = window
        self.timeZones = timeZones
        self.rateCard = rateCard
        self.configDigest = configDigest
        self.manifestDigest = manifestDigest
    }
}

/// Runs the report queries on a read-only ledger and writes their CSV files and `report.md`.
///
/// Every file is written to a temporary name in the output directory and renamed, so a reader
/// never sees half a report; the same ledger, window and templates give the same bytes.
public struct ReportWriter: Sendable {
    public let queries: [ReportDefinition]
    /// `report.md.mustache`, `section.md.mustache` and optional `<report>.md.mustache` overrides.
    public let templatesDirectory: String
    /// Rows of each report shown in `report.md` (all are in its CSV).
    public var topRows = 10

    public init(queriesDirectory: String, templatesDirectory: String) throws(LedgerError) {
        queries = try ReportDefinition.load(directory: queriesDirectory)
        self.templatesDirectory = templatesDirectory
    }

    /// The report names `--only` accepts.
    public var names: [String] { queries.filter { $0.csv != nil }.map(\.name) }

    /// Writes the reports; returns the files written, in order.
    public func write(
        ledger: ReadOnlyLedger, to directory: String, from: String, to: String, only: Set<String> = [], provenance: Provenance
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
        // Each report on a connection of its own, side by side; a prepared ledger's snapshot
        // lives in its one connection, so its reports run on it one after another.
        @Sendable func run(_ index: Int, on connection: ReadOnlyLedger) {
            do throws(LedgerError) {
                let report = reports[index]
                results.set(index, .success(
                    report.csv == nil
                        ? try chartSection(report, on: connection, arguments: arguments)
                        : try csvSection(report, on: connection, arguments: arguments, directory: directory)))
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
        var context: [String: Any] = [
            "sections": sections,
            "tool_version": provenance.toolVersion, "window": provenance.window,
            "time_zones": provenance.timeZones.joined(separator: "; "), "rate_card": provenance.rateCard.joined(separator: "; "),
            "config_digest": provenance.configDigest, "manifest_digest": provenance.manifestDigest,
        ]
        if let summary = queries.first(where: { $0.name == "summary" }) {
            let table = try QueryRunner.run(sql: summary.sql, on: ledger, arguments: arguments, file: summary.path)
            if let row = table.rows.first {
                for (column, value) in zip(table.columns, row) { context[column] = CellFormat.markdownCell(value, column: column) }
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
        return written
    }

    /// Runs one chart query; returns its section of `report.md`.
    private func chartSection(_ report: ReportDefinition, on ledger: ReadOnlyLedger, arguments: [String: String]) throws(LedgerError) -> Section {
        let table = try QueryRunner.run(sql: report.sql, on: ledger, arguments: arguments, file: report.path)
        let section: [String: Any] = [
            "name": report.name, "title": report.title, "description": report.description,
            "chart": Chart.mermaid(table, kind: report.chart ?? "line", title: report.title),
        ]
        return Section(dictionary: section.merging(["body": try render(template: report.name, fallback: "chart", section)]) { a, _ in a })
    }

    /// Runs one report into its CSV file; returns its section of `report.md`.
    private func csvSection(
        _ report: ReportDefinition, on ledger: ReadOnlyLedger, arguments: [String: String], directory: String
    ) throws(LedgerError) -> Section {
        let csv = report.csv ?? report.name + ".csv"
        // Rows go to the CSV file as SQLite gives them; report.md keeps only the first few.
        var sink = try CSVSink(path: directory + "/" + csv)
        var shown = ResultTable(columns: [], rows: [])
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
                    if rowCount < topRows { shown.rows.append((0..<row.count).map(row.value)) }
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
        return Section(dictionary: section)
    }

    /// A section of `report.md`, handed from the thread that ran its report.
    struct Section: @unchecked Sendable {
        let dictionary: [String: Any]
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

    private func render(template name: String, fallback: String?, _ context: [String: Any]) throws(LedgerError) -> String {
        let candidates = [name] + (fallback.map { [$0] } ?? [])
        for candidate in candidates {
            let path = templatesDirectory + "/" + candidate + ".md.mustache"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            do {
                return try MustacheTemplate(string: text).render(context)
            } catch {
                throw .query(message: "\(path): not a valid template: \(error)")
            }
        }
        throw .input(path: templatesDirectory + "/" + name + ".md.mustache", message: "no such report template")
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

/// A report CSV written as its rows come, to a temporary name renamed into place at the end
/// (a reader never sees half a file), in CellFormat's format: CRLF line ends, RFC 4180 quoting.
/// A struct used as a local variable, so that appending bytes carries no exclusivity checks, as
/// it does on a class's buffer (benchmarks/NOTES.md, `CSVSink`).
struct CSVSink {
    let path: String
    private let temporary: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []

    init(path: String) throws(LedgerError) {
        self.path = path
        temporary = path + ".partial"
        guard let file = fopen(temporary, "wb") else {
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
        self.file = file
        buffer.reserveCapacity(1 << 20 + 4096)
    }

    mutating func header(_ columns: [String]) {
        buffer += (columns.map(CellFormat.csvField).joined(separator: ",") + "\r\n").utf8
    }

    /// One row, cell by cell into bytes, as ``CellFormat/csvCell(_:column:)`` and
    /// ``CellFormat/csvField(_:)`` write them (a test holds the two to the same bytes).
    mutating func row(_ row: RawRow) throws(LedgerError) {
        for i in 0..<row.count {
            if i > 0 { buffer.append(0x2C) }
            switch row.kind(i) {
            case .null: break
            case .integer: appendDecimal(row.integer(i))
            case .real: CellFormat.appendFixed(row.real(i), decimals: 4, to: &buffer)
            case .text: appendText(row.text(i))
            case .blob: buffer += CellFormat.csvField(CellFormat.csvCell(row.value(i), column: "")).utf8
            }
        }
        buffer.append(0x0D)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private mutating func appendDecimal(_ v: Int64) {
        if v < 0 { buffer.append(0x2D) }
        CellFormat.appendDigits(v.magnitude, minimumCount: 1, to: &buffer)
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
    private mutating func appendText(_ text: UnsafeRawBufferPointer) {
        let needsQuotes = text.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { buffer += text; return }
        buffer.append(0x22)
        for c in text {
            buffer.append(c)
            if c == 0x22 { buffer.append(0x22) }
        }
        buffer.append(0x22)
    }

    private mutating func flush() throws(LedgerError) {
        let ok = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
        buffer.removeAll(keepingCapacity: true)
        guard ok else { throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))") }
    }

    /// Writes what is left and puts the file in place.
    mutating func finish() throws(LedgerError) {
        try flush()
        guard fclose(file) == 0 else {
            unlink(temporary)
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
    }

    /// The query failed: no file is left behind.
    func abandon() {
        fclose(file)
        unlink(temporary)
    }
}

/// How values are written: money (`*_usd`) with 4 decimals in CSV and 2 in Markdown (SPEC §5),
/// other fractions with 4 and 2; NULL as nothing.
public enum CellFormat {
    public static func csvCell(_ value: SQLValue, column: String) -> String {
        switch value {
        case .null: ""
        case .integer(let i): String(i)
        case .real(let d): fixed(d, decimals: 4)
        case .text(let s): s
        }
    }

    /// `d` with `decimals` digits after the point, exactly as C's `%.Nf` writes it.
    public static func fixed(_ d: Double, decimals: Int) -> String {
        var bytes: [UInt8] = []
        appendFixed(d, decimals: decimals, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]

    /// Appends `d` as C's `%.Nf` writes it (round half to even on the exact binary value, `-` kept
    /// on negative zero). A year of sessions has millions of money cells, and C's own printf
    /// through Swift's `withVaList` is slow for them (benchmarks/NOTES.md, `appendFixed`); so the usual
    /// case is done here, by integers, and only what it cannot decide goes to `vsnprintf`:
    /// `|d|·10^N` is rounded once by the multiplication (by at most half its ulp), so unless its
    /// fraction lies within an ulp of one half, rounding it gives the digits C would write.
    public static func appendFixed(_ d: Double, decimals: Int, to out: inout [UInt8]) {
        if d.isFinite, decimals >= 0, decimals < powersOfTen.count {
            let scaled = d.magnitude * powersOfTen[decimals]
            if scaled < 0x1p52 {
                let whole = scaled.rounded(.down)
                let fraction = scaled - whole  // exact: both below 2^52
                if abs(fraction - 0.5) > scaled.ulp {
                    let n = UInt64(whole) + (fraction > 0.5 ? 1 : 0)
                    var unit: UInt64 = 1
                    for _ in 0..<decimals { unit *= 10 }
                    if d.sign == .minus { out.append(0x2D) }
                    appendDigits(n / unit, minimumCount: 1, to: &out)
                    if decimals > 0 {
                        out.append(0x2E)
                        appendDigits(n % unit, minimumCount: decimals, to: &out)
                    }
                    return
                }
            }
        }
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 350) { buffer in
            let n = withVaList([d]) { vsnprintf(buffer.baseAddress!, buffer.count, "%.\(decimals)f", $0) }
            out += UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(max(0, min(n, Int32(buffer.count - 1)))))
        }
    }

    /// The decimal digits of `v`, zero-padded on the left to `minimumCount`.
    static func appendDigits(_ v: UInt64, minimumCount: Int, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max's 20 digits
        withUnsafeMutableBytes(of: &digits) { d in
            var n = 0
            var m = v
            repeat {
                d[n] = UInt8(0x30 + m % 10)
                m /= 10
                n += 1
            } while m > 0
            while n < minimumCount && n < d.count {
                d[n] = 0x30
                n += 1
            }
            for k in stride(from: n - 1, through: 0, by: -1) { out.append(d[k]) }
        }
    }

    public static func markdownCell(_ value: SQLValue, column: String) -> String {
        switch value {
        case .null: ""
        case .integer(let i): String(i)
        case .real(let d): fixed(d, decimals: 2)
        case .text(let s): s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
    public static func csvField(_ s: String) -> String {
        // On the UTF-8 bytes: every cell of every report passes here.
        s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A report CSV: lines end in CRLF, values formatted by ``csvCell(_:column:)``.
    public static func csv(_ table: ResultTable) -> String {
        var out = table.columns.map(csvField).joined(separator: ",") + "\r\n"
        for row in table.rows {
            for (i, value) in row.enumerated() {
                if i > 0 { out += "," }
                out += csvField(csvCell(value, column: table.columns[i]))
            }
            out += "\r\n"
        }
        return out
    }

    public static func markdown(_ table: ResultTable) -> String {
        var out = "| " + table.columns.joined(separator: " | ") + " |\n"
        out += "|" + table.columns.map { _ in " --- |" }.joined() + "\n"
        for row in table.rows {
            out += "| " + zip(table.columns, row).map { markdownCell($1, column: $0) }.joined(separator: " | ") + " |\n"
        }
        return out
    }
}

/// Mermaid charts (`xychart-beta`), which Markdown viewers such as GitHub's draw in place.
enum Chart {
    /// Rows of (series, x, y) → one line (or bar) per series over the x values in query order.
    static func mermaid(_ table: ResultTable, kind: String, title: String) -> String {
        func text(_ v: SQLValue) -> String {
            switch v {
            case .text(let s): s
            case .integer(let i): String(i)
            case .real(let d): String(format: "%.2f", d)
            case .null: ""
            }
        }
        func number(_ v: SQLValue) -> Double {
            switch v {
            case .integer(let i): Double(i)
            case .real(let d): d
            default: 0
            }
        }
        var xs: [String] = []
        var series: [String] = []
        var values: [String: [String: Double]] = [:]
        for row in table.rows where row.count >= 3 {
            let s = text(row[0]), x = text(row[1])
            if !xs.contains(x) { xs.append(x) }
            if !series.contains(s) { series.append(s) }
            values[s, default: [:]][x] = number(row[2])
        }
        guard !xs.isEmpty else { return "_No data._" }
        let mark = kind == "bar" ? "bar" : "line"
        var out = "```mermaid\nxychart-beta\n    title \"\(title)\"\n"
        out += "    x-axis [" + xs.map { "\"\($0)\"" }.joined(separator: ", ") + "]\n"
        for s in series {
            let ys = xs.map { String(format: "%.2f", values[s]?[$0] ?? 0) }
            out += "    \(mark) [" + ys.joined(separator: ", ") + "]\n"
        }
        out += "```\n\nSeries, in order: " + series.joined(separator: ", ") + "."
        return out
    }
}
