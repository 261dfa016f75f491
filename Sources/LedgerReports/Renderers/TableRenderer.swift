import Foundation
import LedgerModel

/// Renders a ``ResultTable`` for a terminal (aligned columns), as CSV (RFC 4180) or as JSON
/// (an array of objects, keys in column order).
public enum TableRenderer {
    public enum Style: String, Sendable, CaseIterable {
        case table, csv, json
    }

    public static func render(_ table: ResultTable, as style: Style) -> String {
        switch style {
        case .table: aligned(table)
        case .csv: csv(table)
        case .json: json(table)
        }
    }

    /// Text of a value as the table and CSV show it: NULL is empty, reals are shortest-exact.
    static func text(_ v: SQLValue) -> String {
        switch v {
        case .null: ""
        case .integer(let i): String(i)
        case .real(let d): d.isFinite ? "\(d)" : (d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"))
        case .text(let s): s
        }
    }

    static func aligned(_ table: ResultTable) -> String {
        // Line breaks and tabs inside values would break the grid: show them escaped.
        func cell(_ v: SQLValue) -> String {
            if case .null = v { return "NULL" }
            return text(v).replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
                .replacingOccurrences(of: "\t", with: "\\t")
        }
        let cells = table.rows.map { $0.map(cell) }
        var widths = table.columns.map { $0.count }
        for row in cells {
            for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) }
        }
        func line(_ values: [String], numeric: [Bool]) -> String {
            let joined = values.enumerated().map { i, v in
                let pad = String(repeating: " ", count: widths[i] - v.count)
                return numeric[i] ? pad + v : v + pad
            }.joined(separator: "  ")
            return String(joined.reversed().drop { $0 == " " }.reversed())
        }
        let numeric = table.columns.indices.map { i in
            !table.rows.isEmpty
                && table.rows.allSatisfy {
                    switch $0[i] {
                    case .integer, .real, .null: true
                    case .text: false
                    }
                }
        }
        var out = line(table.columns, numeric: Array(repeating: false, count: table.columns.count)) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in cells { out += line(row, numeric: numeric) + "\n" }
        out += "(\(table.rows.count) row\(table.rows.count == 1 ? "" : "s"))\n"
        return out
    }

    /// CSV with values at full precision (reports round money; `query` shows what is stored).
    static func csv(_ table: ResultTable) -> String {
        var out = table.columns.map(CellFormat.csvField).joined(separator: ",") + "\r\n"
        for row in table.rows {
            out += row.map { CellFormat.csvField(text($0)) }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func json(_ table: ResultTable) -> String {
        func value(_ v: SQLValue) -> String {
            switch v {
            case .null: "null"
            case .integer(let i): String(i)
            case .real(let d): d.isFinite ? "\(d)" : "null"
            case .text(let s): JSONText.quote(s)
            }
        }
        let objects = table.rows.map { row in
            "{" + zip(table.columns, row).map { JSONText.quote($0) + ":" + value($1) }.joined(separator: ",") + "}"
        }
        return "[" + objects.joined(separator: ",\n ") + "]\n"
    }
}
