import Foundation
import LedgerModel

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
            let s = text(row[0])
            let x = text(row[1])
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
