import Foundation
import LedgerModel

/// One report: a SQL file of `Queries/` with its header (`-- title:`, `-- description:`,
/// `-- csv:`), named after the file.
public struct ReportDefinition: Sendable, Equatable {
    public var name: String
    public var title: String
    public var description: String
    /// The CSV the report writes; nil for queries the Markdown report uses only (`summary`).
    public var csv: String?
    /// Place in `report.md` (`-- order:`); reports without one come last, by name.
    public var order: Int
    /// `line` or `bar`: the query's rows (series, x, y) are drawn as a Mermaid chart in `report.md`.
    public var chart: String?
    /// `line x=COLUMN y=COLUMN[,COLUMN…]` or `bar …`: a report's rows are also drawn as a chart in
    /// `report.html` (`-- plot:`), one series per y column over the x column.
    public var plot: String?
    public var sql: String
    public var path: String

    /// Reads every `*.sql` of `directory`, sorted by name.
    public static func load(directory: String) throws(LedgerError) -> [ReportDefinition] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }
                .sorted()
        } catch {
            throw .input(path: directory, message: "cannot list the report queries: \(error.localizedDescription)")
        }
        return try names.map { (name: String) throws(LedgerError) -> ReportDefinition in
            try parse(path: directory + "/" + name)
        }.sorted { ($0.order, $0.name) < ($1.order, $1.name) }
    }

    static func parse(path: String) throws(LedgerError) -> ReportDefinition {
        guard let sql = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .input(path: path, message: "cannot read the query file")
        }
        var header: [String: String] = [:]
        for line in sql.split(separator: "\n") {
            guard line.hasPrefix("-- ") else { break }
            let body = line.dropFirst(3)
            guard let colon = body.firstIndex(of: ":") else { continue }
            header[String(body[..<colon])] = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let name = String(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
        guard let title = header["title"] else {
            throw .query(message: "\(path):1: the query needs a '-- title:' header line")
        }
        let csv = header["csv"]
        // A report writes inside --out and nowhere else: a plain file name, nothing more.
        if let csv, !Self.isPlainFileName(csv) {
            throw .query(message: "\(path): '-- csv: \(csv)' must be a plain file name such as \(name).csv")
        }
        return ReportDefinition(
            name: name, title: title, description: header["description"] ?? "", csv: csv,
            order: header["order"].flatMap { Int($0) } ?? Int.max, chart: header["chart"], plot: header["plot"],
            sql: sql, path: path)
    }

    /// ``plot`` read: the kind, the x column and the y columns; nil when it is not of that shape.
    public var plotSpec: (kind: String, x: String, ys: [String])? {
        guard let plot else { return nil }
        let words = plot.split(separator: " ")
        guard let kind = words.first.map(String.init), kind == "line" || kind == "bar" else { return nil }
        var x: String?
        var ys: [String] = []
        for word in words.dropFirst() {
            if word.hasPrefix("x=") { x = String(word.dropFirst(2)) }
            if word.hasPrefix("y=") { ys = word.dropFirst(2).split(separator: ",").map(String.init) }
        }
        guard let x, !ys.isEmpty else { return nil }
        return (kind, x, ys)
    }

    static func isPlainFileName(_ s: String) -> Bool {
        !s.isEmpty && s.hasSuffix(".csv")
            && s.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D
            }
            && !s.hasPrefix(".")
    }
}
