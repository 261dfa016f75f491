import GRDB
import LedgerModel

/// Rows of a ``TableBatch`` into their table through SQLite's C API, many rows to a statement.
public enum MultiRowInsert {
    /// Rows a multi-row insert takes: fewer statement steps than one row a statement; fewer rows were slower, more no faster (benchmarks/NOTES.md, `rowsPerInsert`).
    public static let rowsPerInsert = 64

    /// Inserts `batch`'s rows into its table, ``rowsPerInsert`` to a statement and the rest one
    /// by one, in order, the texts bound in place: for tables the derive writes whole (a row
    /// that breaks a constraint is an error, as with any insert).
    public static func insert(_ db: Database, _ batch: TableBatch) throws {
        let one = RawStatement(try db.cachedStatement(sql: sql(batch.table, batch.columns, rows: 1)))
        let many =
            batch.rowCount >= rowsPerInsert
            ? RawStatement(try db.cachedStatement(sql: sql(batch.table, batch.columns, rows: rowsPerInsert)))
            : nil
        try batch.withCells { cells in
            // The texts are bound in place (SQLITE_STATIC): forget them before the bytes go.
            defer {
                one.clearBindings()
                many?.clearBindings()
            }
            let first =
                try many.map { try runs($0, cells, rows: batch.rowCount, width: Int32(batch.columns.count)) } ?? 0
            for row in first..<batch.rowCount {
                one.reset()
                try one.bindInPlace(cells, row: row, from: 1)
                while try one.step() {}
            }
            one.reset()
        }
    }

    /// The text of `INSERT INTO table (columns) VALUES (?, …), …` with `rows` tuples, then `suffix`
    /// (`ON CONFLICT DO NOTHING` for staging rows).
    public static func sql(_ table: String, _ columns: [String], rows: Int, suffix: String = "") -> String {
        precondition(([table] + columns).allSatisfy(isIdentifier), "bad name in \(table)")
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            + Array(repeating: tuple, count: rows).joined(separator: ", ") + suffix
    }

    /// Inserts the rows of `cells` through `many`, an `INSERT … VALUES (…), (…), …` of
    /// ``rowsPerInsert`` tuples of `width` parameters, one run of it for every ``rowsPerInsert``
    /// rows in order; returns the first row left over, for one-by-one inserts.
    ///
    /// A tuple's first `leading` parameters are bound by `bindLeading(row, position)`, its cells
    /// follow (``RawStatement/bindRowsInPlace(_:rows:width:leading:bindLeading:)``); `stored`
    /// hears how many rows each run inserted (fewer than its tuples when some were already there).
    public static func runs(
        _ many: RawStatement, _ cells: TableBatch.Cells, rows: Int, width: Int32, leading: Int32 = 0,
        bindLeading: (_ row: Int, _ position: Int32) throws -> Void = { _, _ in }, stored: ((Int) -> Void)? = nil
    ) throws -> Int {
        var first = 0
        while first + rowsPerInsert <= rows {
            many.reset()
            try many.bindRowsInPlace(
                cells, rows: first..<(first + rowsPerInsert), width: width, leading: leading, bindLeading: bindLeading)
            while try many.step() {}  // an INSERT without RETURNING gives no row
            stored?(many.changes())
            first += rowsPerInsert
        }
        many.reset()
        return first
    }

    /// A table or column name made of lower-case letters, digits and underscores: the only
    /// names the inserts put into SQL text.
    public static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) }
    }
}
