/// The result of a query: column names and rows of already-typed values.
///
/// Renderers (table, CSV, JSON, Markdown) take this and never touch SQLite.
public struct ResultTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[SQLValue]]

    public init(columns: [String], rows: [[SQLValue]]) {
        self.columns = columns
        self.rows = rows
    }
}
