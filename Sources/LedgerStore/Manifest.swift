import GRDB
import LedgerModel

/// The manifest row of one input file, as the store keeps it.
public struct ManifestEntry: Sendable, Equatable {
    public var id: Int64
    public var path: String
    public var size: Int64
    public var mtimeNanos: Int64
    public var sha256: String?
    public var status: FileStatus
    public var format: String?
    public var compression: Compression
    /// Lines read so far (a grown file is read on from here).
    public var lines: Int
    /// SHA-256 of the decoded content: of the bytes for a plain file, of what they inflate to for a
    /// gzip file (when known).
    ///
    /// A gzipped copy of a stored log has the same.
    public var contentSHA256: String?
    /// The revision of the parser that read it (``FileLoad/parserRevision``).
    public var parserRevision = 1

    public init(
        id: Int64, path: String, size: Int64, mtimeNanos: Int64, sha256: String?, status: FileStatus,
        format: String? = nil, compression: Compression = .none, lines: Int = 0, contentSHA256: String? = nil
    ) {
        self.contentSHA256 = contentSHA256
        self.id = id
        self.path = path
        self.size = size
        self.mtimeNanos = mtimeNanos
        self.sha256 = sha256
        self.status = status
        self.format = format
        self.compression = compression
        self.lines = lines
    }
}

/// One file's manifest row and what was read from it: written all or nothing (one savepoint).
public struct FileLoad: Sendable {
    public var path: String
    public var size: Int64
    public var mtimeNanos: Int64
    public var sha256: String?
    /// SHA-256 of the uncompressed content, where a format needs it (CloudTrail logs).
    public var contentSHA256: String?
    /// Set when the SHA-256 of this plain file's first `hashLength` bytes (which it also is of
    /// its content) is left to be computed after its rows are written; `sha256` is nil until then
    /// (``LedgerStore/recordHashes(_:_:)``).
    public var hashLength: Int?
    /// Set when only the part of a grown file after this many lines was read: its rows are added
    /// to those stored, and the manifest's counts grow by what was read.
    public var appendedAfterLine: Int?
    public var format: String?
    /// The revision of the format's parser that read it (``LogFormat/revision``).
    public var parserRevision = 1
    public var compression: Compression
    public var status: FileStatus
    public var context: InputContext
    public var lines: Int
    public var rejected: Int
    public var firstEvent: String?
    public var lastEvent: String?
    public var detail: String?
    public var batches: [TableBatch]
    public var quarantine: [QuarantineEntry]

    public init(
        path: String, size: Int64, mtimeNanos: Int64, sha256: String?, format: String?,
        compression: Compression, status: FileStatus, context: InputContext, lines: Int = 0,
        rejected: Int = 0, firstEvent: String? = nil, lastEvent: String? = nil,
        detail: String? = nil, batches: [TableBatch] = [], quarantine: [QuarantineEntry] = []
    ) {
        self.path = path
        self.size = size
        self.mtimeNanos = mtimeNanos
        self.sha256 = sha256
        self.format = format
        self.compression = compression
        self.status = status
        self.context = context
        self.lines = lines
        self.rejected = rejected
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.detail = detail
        self.batches = batches
        self.quarantine = quarantine
    }
}

/// What loading one file did.
public struct LoadOutcome: Sendable, Equatable {
    public var fileID: Int64
    /// Rows stored.
    public var records: Int
    /// Rows dropped because their natural key was already stored.
    public var duplicates: Int
    /// The file replaced an earlier version of itself (same path, other content).
    public var replaced: Bool

    public init(fileID: Int64, records: Int, duplicates: Int, replaced: Bool) {
        self.fileID = fileID
        self.records = records
        self.duplicates = duplicates
        self.replaced = replaced
    }
}

extension LedgerStore {
    /// Gives a stored file a new path: the same bytes moved (a log rotated from `.out` to
    /// `.out.1`); its rows stay, under the new name.
    ///
    /// When the content moved into other bytes (gzipped by logrotate), `sha256` and
    /// `compression` give the new file's. Derived evidence names paths, so derive runs again.
    public func move(
        from old: String, to new: String, size: Int64, mtimeNanos: Int64, sha256: String? = nil,
        compression: Compression? = nil
    ) throws(LedgerError) {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE input_file SET path = ?, size = ?, mtime_ns = ?, sha256 = coalesce(?, sha256),
                      content_sha256 = CASE WHEN ? IS NULL THEN content_sha256 WHEN compression = 'none' THEN sha256 ELSE content_sha256 END,
                      compression = coalesce(?, compression)
                    WHERE path = ?
                    """,
                arguments: [new, size, mtimeNanos, sha256, sha256, compression?.rawValue, old])
            try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        }
    }

    /// Records a new size / mtime for a file whose content did not change.
    public func touch(path: String, size: Int64, mtimeNanos: Int64) throws(LedgerError) {
        try write { db in
            try db.execute(
                sql: "UPDATE input_file SET size = ?, mtime_ns = ? WHERE path = ?",
                arguments: [size, mtimeNanos, path])
        }
    }
}
