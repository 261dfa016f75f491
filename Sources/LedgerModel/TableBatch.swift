/// The rows one parser produced for one staging table, flat and in input order.
///
/// Every row carries its provenance: the line (or record index) it came from. The store adds
/// the input file id, so every stored row can be traced to `file:line`.
public struct TableBatch: Sendable, Equatable {
    /// The staging table, e.g. `yarn_app`.
    public let table: String
    /// The columns each row fills, in order; `file_id` and `line` are added by the store.
    public let columns: [String]
    /// `columns.count` values per row, row after row.
    public private(set) var values: [SQLValue] = []
    /// The line (or record index) of each row, 1-based.
    public private(set) var lines: [Int] = []

    public init(table: String, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    public var rowCount: Int { lines.count }

    /// Appends one row; `row.count` must equal `columns.count`.
    public mutating func append(line: Int, _ row: [SQLValue]) {
        precondition(row.count == columns.count, "\(table): \(row.count) values for \(columns.count) columns")
        values.append(contentsOf: row)
        lines.append(line)
    }

    /// Hands over the rows held so far and starts empty again (a large file is stored in pieces).
    public mutating func take() -> TableBatch {
        let out = self
        values.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        return out
    }

    /// The values of row `index`.
    public func row(_ index: Int) -> ArraySlice<SQLValue> {
        let n = columns.count
        return values[index * n..<(index + 1) * n]
    }
}
