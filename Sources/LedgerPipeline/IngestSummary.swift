import LedgerModel

/// What happened to one file in one ingest.
public struct FileReport: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        /// Size and mtime as stored, or same bytes as stored: not read again.
        case unchanged
        /// Read and stored for the first time.
        case loaded
        /// Read again because its content changed; its old rows were replaced.
        case replaced
        /// The bytes of a stored file, now under another name (a rotated log): its rows were
        /// kept and the manifest follows the new name.
        case moved
        /// A plain file that grew (a live Livy `.out`): only what was added was read.
        case appended
    }

    public var path: String
    public var action: Action
    public var status: FileStatus
    public var format: String?
    public var records: Int
    public var duplicates: Int
    public var rejected: Int
    public var detail: String?
}

/// The outcome of one ingest: per-file reports and diagnostics, in input order.
public struct IngestSummary: Sendable {
    public var files: [FileReport] = []
    public var diagnostics: [Diagnostic] = []
    /// Whether the derived tables were rebuilt (only when something was stored).
    public var derived = false

    public func count(_ action: FileReport.Action) -> Int { files.filter { $0.action == action }.count }
    public var records: Int { files.reduce(0) { $0 + $1.records } }
    public var duplicates: Int { files.reduce(0) { $0 + $1.duplicates } }
    public var rejected: Int { files.reduce(0) { $0 + $1.rejected } }
    public func count(_ status: FileStatus) -> Int {
        files.filter { $0.action != .unchanged && $0.status == status }.count
    }
}
