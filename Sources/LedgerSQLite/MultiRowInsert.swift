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
        precondition(([batch.table] + batch.columns).allSatisfy(isIdentifier), "bad name in \(batch.table)")
        let tuple = "(" + Array(repeating: "?", count: batch.columns.count).joined(separator: ", ") + ")"
        let into = "INSERT INTO \(batch.table) (\(batch.columns.joined(separator: ", "))) VALUES "
        let one = RawStatement(try db.cachedStatement(sql: into + tuple))
        let many =
            batch.rowCount >= rowsPerInsert
            ? RawStatement(
                try db.cachedStatement(
                    sql: into + Array(repeating: tuple, count: rowsPerInsert).joined(separator: ", ")))
            : nil
        try batch.withCells { cells in
            // The texts are bound in place (SQLITE_STATIC): forget them before the bytes go.
            defer {
                one.clearBindings()
                many?.clearBindings()
            }
            var first = 0
            if let many {
                while first + rowsPerInsert <= batch.rowCount {
                    many.reset()
                    try many.bindRowsInPlace(
                        cells, rows: first..<(first + rowsPerInsert), width: Int32(batch.columns.count))
                    while try many.step() {}
                    first += rowsPerInsert
                }
                many.reset()
            }
            for row in first..<batch.rowCount {
                one.reset()
                try one.bindInPlace(cells, row: row, from: 1)
                while try one.step() {}
            }
            one.reset()
        }
    }

    /// A table or column name made of lower-case letters, digits and underscores: the only
    /// names the inserts put into SQL text.
    public static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) }
    }
}
