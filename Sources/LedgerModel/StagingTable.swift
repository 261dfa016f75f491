/// A table a format's rows go into, as the format declares it: its name, the columns each row
/// fills, in order (the store adds each row's provenance, `file_id` and `line`), and the column
/// that names a row wherever it was read, if there is one.
///
/// A staging table holds what was read and nothing else: its rows are replaced with the file
/// they came from. In the schema it is the kind of table that has both a `line` and a `file_id`
/// that references `input_file`; derived tables never have both.
public struct StagingTable: Sendable, Hashable {
    public let name: String
    public let columns: [String]
    /// A value stored twice under this column is the same row read twice (a YARN app id in two
    /// ResourceManager logs, a CloudTrail eventID in two deliveries): the store keeps one and
    /// counts the other as a duplicate.
    ///
    /// It is the first column. Nil: rows are keyed by file and line only.
    public let naturalKey: String?

    public init(_ name: String, naturalKey: String? = nil, columns: [String]) {
        precondition(naturalKey == nil || naturalKey == columns.first, "\(name): the natural key is the first column")
        self.name = name
        self.naturalKey = naturalKey
        self.columns = columns
    }
}
