import Foundation
import GRDB
import GRDBSQLite
import CSQLiteConfig
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
    public var compression: String
    /// Lines read so far (a grown file is read on from here).
    public var lines: Int
    /// SHA-256 of the decoded content: of the bytes for a plain file, of what they inflate to
    /// for a gzip file (when known). A gzipped copy of a stored log has the same.
    public var contentSHA256: String?
    /// The revision of the parser that read it (``FileLoad/parserRevision``).
    public var parserRevision = 1

    public init(
        id: Int64, path: String, size: Int64, mtimeNanos: Int64, sha256: String?, status: FileStatus,
        format: String? = nil, compression: String = "none", lines: Int = 0, contentSHA256: String? = nil
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
    public var compression: String
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
        compression: String, status: FileStatus, context: InputContext, lines: Int = 0,
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

/// The SQLite file: schema, the single writer, and read-only connections.
///
/// All writes go through one `DatabaseQueue`. A file is written whole or not at all, together
/// with its manifest row: in a savepoint of its own inside a group of files that commit
/// together (``beginGroup()``, ``commitGroup()``), or in its own transaction outside a group,
/// so a crash never leaves half a file.
public struct LedgerStore: Sendable {
    public let path: String
    private let queue: DatabaseQueue

    /// Opens (creating, readable by its owner only) and migrates the database at `path`.
    public init(path: String) throws(LedgerError) {
        self.path = path
        _ = Self.memoryStatisticsOff
        do {
            if !FileManager.default.fileExists(atPath: path) {
                let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    throw LedgerError.database(path: path, message: "cannot create the database: \(String(cString: strerror(errno)))")
                }
                close(fd)
            }
            var config = Configuration()
            config.foreignKeysEnabled = true
            config.label = "session-ledger"
            // A group of files stays in one transaction across several writes (beginGroup):
            // GRDB otherwise stops a transaction left open between two accesses.
            config.allowsUnsafeTransactions = true
            queue = try DatabaseQueue(path: path, configuration: config)
            // A run killed while deriving leaves the ledger in WAL mode (see ``derive(_:)``);
            // opening recovered its log, and this puts it back in a rollback journal. While a
            // reader holds it (a report) the switch is refused; the next derive makes it again.
            if try queue.writeWithoutTransaction({ try String.fetchOne($0, sql: "PRAGMA journal_mode") }) == "wal" {
                _ = try? queue.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = DELETE") }
            }
            // A new ledger gets pages of 16 KiB (SQLite's default is 4 KiB): its tables are
            // written in bulk and read whole, and fewer pages are split, logged and copied back
            // (benchmarks/NOTES.md, `pageSize`).
            // An existing ledger keeps its page size (SQLite ignores this once a table exists).
            try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA page_size = \(Self.pageSize)") }
            try Schema.migrator.migrate(queue)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .database(path: path, message: "cannot open the database: \(error)")
        }
    }

    /// The page size of a new ledger, in bytes.
    static let pageSize = 16384

    /// SQLite counts every allocation under a process-wide mutex unless told not to
    /// (`SQLITE_CONFIG_MEMSTATUS`); nothing here reads those counts. It must be said before
    /// SQLite is first used, so it is said when the first store opens; later it is refused
    /// (SQLITE_MISUSE), which changes nothing but speed.
    static let memoryStatisticsOff: Int32 = csqlite_disable_memstatus()

    /// The manifest, by path.
    public func manifest() throws(LedgerError) -> [String: ManifestEntry] {
        try read { db in
            var out: [String: ManifestEntry] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, path, size, mtime_ns, sha256, status, format, compression, lines, CASE WHEN compression = 'none' THEN sha256 ELSE content_sha256 END, parser_revision FROM input_file")
            while let row = try rows.next() {
                var entry = ManifestEntry(
                    id: row[0], path: row[1], size: row[2], mtimeNanos: row[3], sha256: row[4],
                    status: FileStatus(rawValue: row[5]) ?? .ok, format: row[6], compression: row[7], lines: row[8], contentSHA256: row[9])
                entry.parserRevision = row[10]
                out[entry.path] = entry
            }
            return out
        }
    }

    /// Whether files were stored since the derived tables were last rebuilt (a run that died
    /// before deriving leaves this true).
    public func needsDerive() throws(LedgerError) -> Bool {
        try read { db in
            let generation = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'generation'") ?? 0
            let derived = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'derived'") ?? 0
            return generation != derived
        }
    }

    /// Rebuilds the derived tables with `body` and records that they are current, in one transaction.
    ///
    /// `body` also gets ``LedgerReaders``, read-only connections that may read the staging
    /// tables on other threads while the transaction writes, or nil when there are none. They
    /// need SQLite's write-ahead log: in the rollback-journal mode the ledger keeps, a writer
    /// that spills its cache locks every reader out until it commits. So the ledger switches to
    /// WAL for the derive only, and back to a rollback journal after it (the checkpoint writes
    /// the pages into the file and removes the log), so that at rest it stays one file that any
    /// read-only connection opens. Readers must be closed when `body` returns. When the switch
    /// is refused (another connection is reading the ledger, or it is not a file), `body` gets
    /// nil and derives on this connection alone, in the rollback journal.
    ///
    /// The derive deletes the derived tables and writes them anew in the same transaction. The
    /// SQLite that distributions ship zeroes every deleted page (`SECURE_DELETE`): for a year's
    /// sessions that was 300 MB written only to be written over; `secure_delete = FAST` still
    /// zeroes deleted cells in the pages it writes anyway, and leaves freed pages to be reused.
    public func derive(_ body: (Database, LedgerReaders?) throws -> Void) throws(LedgerError) {
        let wal = (try? queue.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") }) == "wal"
        let secureDelete = try? queue.writeWithoutTransaction { db -> Int? in
            let before = try Int.fetchOne(db, sql: "PRAGMA secure_delete")
            try db.execute(sql: "PRAGMA secure_delete = FAST")
            return before
        }
        defer {
            if let before = secureDelete ?? nil {
                _ = try? queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA secure_delete = \(before)") }
            }
            if wal { _ = try? queue.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = DELETE") } }
        }
        try write { db in
            try body(db, wal ? LedgerReaders(path: path) : nil)
            try db.execute(sql: "UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'generation') WHERE key = 'derived'")
        }
    }

    /// Fills in the SHA-256 of stored plain files whose hash was computed after their rows were
    /// written (``FileLoad/hashLength``): of their bytes and, being plain, of their content.
    /// A nil hash (the file could not be read again to its length) leaves the row as it is.
    public static func recordHashes(_ db: Database, _ hashes: [(fileID: Int64, sha256: String?)]) throws {
        let update = try db.cachedStatement(sql: "UPDATE input_file SET sha256 = ?1, content_sha256 = ?1 WHERE id = ?2 AND compression = 'none'")
        for (fileID, sha) in hashes {
            guard let sha else { continue }
            try update.execute(arguments: [sha, fileID])
        }
    }

    /// Gives a stored file a new path: the same bytes moved (a log rotated from `.out` to
    /// `.out.1`); its rows stay, under the new name.
    ///
    /// When the content moved into other bytes (gzipped by logrotate), `sha256` and
    /// `compression` give the new file's. Derived evidence names paths, so derive runs again.
    public func move(
        from old: String, to new: String, size: Int64, mtimeNanos: Int64, sha256: String? = nil, compression: String? = nil
    ) throws(LedgerError) {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE input_file SET path = ?, size = ?, mtime_ns = ?, sha256 = coalesce(?, sha256),
                      content_sha256 = CASE WHEN ? IS NULL THEN content_sha256 WHEN compression = 'none' THEN sha256 ELSE content_sha256 END,
                      compression = coalesce(?, compression)
                    WHERE path = ?
                    """,
                arguments: [new, size, mtimeNanos, sha256, sha256, compression, old])
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

    /// Writes one file all or nothing (a savepoint, or a transaction outside a group): its
    /// manifest row (replacing an earlier version of the same path and everything read from it)
    /// and its rows. Rows whose natural key is already stored are dropped and counted.
    public func load(_ file: FileLoad) throws(LedgerError) -> LoadOutcome {
        let stored = try load(path: file.path, appending: file.appendedAfterLine != nil, pieces: { .end(file) }, keep: { _ in true })
        guard case .stored(let outcome, _) = stored else { preconditionFailure("a kept file was rolled back") }
        return outcome
    }

    /// One piece of a file on its way into the store.
    public enum LoadPiece: Sendable {
        /// Rows read so far (the file goes on).
        case rows([TableBatch])
        /// The end: the file's manifest values and its last rows.
        case end(FileLoad)
    }

    /// What a streamed load did.
    public enum StreamedLoad: Sendable {
        case stored(LoadOutcome, FileLoad)
        /// `keep` said no when the file's end arrived: nothing of it was written.
        case rolledBack(FileLoad)
    }

    /// Writes one file whose rows arrive in pieces, in one savepoint, so that a large log is
    /// never held whole in memory: `pieces` is called until it gives the file's end. Only then
    /// are the file's hash and counts known, so `keep` decides at the end whether it is stored
    /// (a file that turns out to be a copy of a stored one is rolled back and recorded otherwise).
    /// `appending` adds the rows of a grown file to those already stored under `path`.
    public func load(
        path: String, appending: Bool, pieces next: () -> LoadPiece, keep: (FileLoad) -> Bool
    ) throws(LedgerError) -> StreamedLoad {
        var result: StreamedLoad?
        do {
            try queue.writeWithoutTransaction { db in
                try db.inSavepoint {
                    result = try Self.load(db, path: path, appending: appending, pieces: next, keep: keep)
                    if case .rolledBack = result { return .rollback }
                    return .commit
                }
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .database(path: self.path, message: "write failed: \(error)")
        }
        return result!
    }

    private static func load(
        _ db: Database, path: String, appending: Bool, pieces next: () -> LoadPiece, keep: (FileLoad) -> Bool
    ) throws -> StreamedLoad {
        var replaced = false
        let fileID: Int64
        let existing = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM input_file WHERE path = ?"), arguments: [path])
        if appending, let existing {
            // A grown file read on: keep its rows; sizes, hash and counts follow the file.
            fileID = existing
        } else if let existing {
            replaced = true
            fileID = existing
            for table in Schema.stagingTables {
                try db.execute(sql: "DELETE FROM \(table) WHERE file_id = ?", arguments: [fileID])
            }
        } else {
            // Its values follow at the end, when they are known.
            try db.cachedStatement(
                sql: """
                    INSERT INTO input_file (path, size, mtime_ns, compression, status, timezone, lines, records, rejected, duplicates)
                    VALUES (?, 0, 0, 'none', 'ok', 'UTC', 0, 0, 0, 0)
                    """
            ).execute(arguments: [path])
            fileID = db.lastInsertedRowID
        }

        var records = 0
        var duplicates = 0
        func insert(_ batches: [TableBatch]) throws {
            for batch in batches {
                let (r, d) = try insertRows(db, batch, fileID: fileID, path: path)
                records += r
                duplicates += d
            }
        }
        var file: FileLoad
        while true {
            switch next() {
            case .rows(let batches):
                try insert(batches)
                continue
            case .end(let last):
                file = last
            }
            break
        }
        guard keep(file) else { return .rolledBack(file) }
        try insert(file.batches)

        if appending && existing != nil {
            try db.cachedStatement(
                sql: """
                    UPDATE input_file SET size = ?, mtime_ns = ?, sha256 = ?, lines = lines + ?, rejected = rejected + ?,
                      first_event = CASE WHEN first_event IS NULL OR (? IS NOT NULL AND ? < first_event) THEN coalesce(?, first_event) ELSE first_event END,
                      last_event = CASE WHEN last_event IS NULL OR (? IS NOT NULL AND ? > last_event) THEN coalesce(?, last_event) ELSE last_event END,
                      records = records + ?, duplicates = duplicates + ?
                    WHERE id = ?
                    """
            ).execute(
                arguments: [file.size, file.mtimeNanos, file.sha256, file.lines, file.rejected,
                            file.firstEvent, file.firstEvent, file.firstEvent, file.lastEvent, file.lastEvent, file.lastEvent,
                            records, duplicates, fileID])
        } else {
            try db.cachedStatement(
                sql: """
                    UPDATE input_file SET size = ?, mtime_ns = ?, sha256 = ?, format = ?,
                      compression = ?, status = ?, cluster_id = ?, instance_id = ?, account_id = ?,
                      region = ?, timezone = ?, lines = ?, records = ?, rejected = ?, duplicates = ?,
                      first_event = ?, last_event = ?, detail = ?, content_sha256 = ?, parser_revision = ?
                    WHERE id = ?
                    """
            ).execute(
                arguments: [
                    file.size, file.mtimeNanos, file.sha256, file.format, file.compression, file.status.rawValue,
                    file.context.clusterID, file.context.instanceID, file.context.accountID, file.context.region,
                    file.context.timeZone, file.lines, records, file.rejected, duplicates, file.firstEvent,
                    file.lastEvent, file.detail, file.contentSHA256, file.parserRevision, fileID,
                ])
        }
        let quarantine = try db.cachedStatement(
            sql: "INSERT INTO quarantine (file_id, line, reason, excerpt) VALUES (?, ?, ?, ?)")
        for entry in file.quarantine {
            try quarantine.execute(arguments: [fileID, entry.line, entry.reason, entry.excerpt])
        }
        try db.cachedStatement(sql: "UPDATE meta SET value = value + 1 WHERE key = 'generation'").execute()
        return .stored(LoadOutcome(fileID: fileID, records: records, duplicates: duplicates, replaced: replaced), file)
    }

    /// Rows a multi-row insert takes (see ``insertRows``): fewer statement steps than one row a
    /// statement; fewer rows were slower, more no faster (benchmarks/NOTES.md, `rowsPerInsert`).
    public static let rowsPerInsert = 64

    /// Records what a derive was made with (``Schema``'s `ingest_setting`), in its transaction.
    public static func recordSettings(_ db: Database, _ settings: [String: String]) throws {
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            try db.execute(sql: "INSERT OR REPLACE INTO ingest_setting (key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }

    /// A setting the last derive recorded, or nil.
    public func setting(_ key: String) throws(LedgerError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM ingest_setting WHERE key = ?", arguments: [key]) }
    }

    /// Inserts `batch`'s rows into its table, ``rowsPerInsert`` to a statement and the rest one
    /// by one, in order, the texts bound in place: for tables the derive writes whole (a row
    /// that breaks a constraint is an error, as with any insert).
    public static func insert(_ db: Database, _ batch: TableBatch) throws {
        precondition(([batch.table] + batch.columns).allSatisfy(isIdentifier), "bad name in \(batch.table)")
        let tuple = "(" + Array(repeating: "?", count: batch.columns.count).joined(separator: ", ") + ")"
        let into = "INSERT INTO \(batch.table) (\(batch.columns.joined(separator: ", "))) VALUES "
        let one = RawStatement(try db.cachedStatement(sql: into + tuple))
        let many = batch.rowCount >= rowsPerInsert
            ? RawStatement(try db.cachedStatement(sql: into + Array(repeating: tuple, count: rowsPerInsert).joined(separator: ", ")))
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
                    try many.bindRowsInPlace(cells, rows: first..<(first + rowsPerInsert), width: Int32(batch.columns.count))
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

    /// Inserts one batch of staging rows; returns (stored, dropped as duplicates).
    private static func insertRows(_ db: Database, _ batch: TableBatch, fileID: Int64, path: String) throws -> (Int, Int) {
        precondition(Schema.stagingTables.contains(batch.table), "no staging table \(batch.table)")
        let columns = ["file_id", "line"] + batch.columns
        precondition(columns.allSatisfy(Self.isIdentifier), "bad column name in \(batch.table)")
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        let statement = try db.cachedStatement(
            sql: "INSERT INTO \(batch.table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders)) ON CONFLICT DO NOTHING")
        let insert = RowInserter(statement: statement, fileID: fileID)
        var records = 0
        var duplicates = 0
        // A table without a natural key takes its rows `rowsPerInsert` to a statement: one run
        // of SQLite's insert program (the transaction check, a cursor on the table and on each
        // index, opened and closed) for several rows. The rows go in in the same order, so the
        // table is the one single inserts make; a row already there (its file and line) is
        // skipped by `ON CONFLICT DO NOTHING` and counted as a duplicate all the same.
        let many: RawStatement? = Schema.naturalKey[batch.table] == nil && batch.rowCount >= rowsPerInsert
            ? RawStatement(try db.cachedStatement(sql: """
                INSERT INTO \(batch.table) (\(columns.joined(separator: ", "))) VALUES \(Array(repeating: "(\(placeholders))", count: rowsPerInsert).joined(separator: ", ")) ON CONFLICT DO NOTHING
                """))
            : nil
        try batch.withCells { cells in
            // The texts are bound in place (SQLITE_STATIC): forget them before the bytes go.
            defer {
                insert.forgetBindings()
                many?.clearBindings()
            }
            var first = 0
            if let many {
                while first + rowsPerInsert <= batch.rowCount {
                    many.reset()
                    try many.bindRowsInPlace(cells, rows: first..<(first + rowsPerInsert), width: Int32(columns.count), leading: 2) { row, at in
                        try many.bind(CollectionOfOne(.integer(fileID)), from: at)
                        try many.bind(CollectionOfOne(.integer(Int64(batch.lines[row]))), from: at + 1)
                    }
                    _ = try many.step()  // an INSERT without RETURNING gives no row
                    let stored = Int(sqlite3_changes(db.sqliteConnection))
                    records += stored
                    duplicates += rowsPerInsert - stored
                    first += rowsPerInsert
                }
                many.reset()
            }
            for index in first..<batch.rowCount {
                if try insert(db, line: batch.lines[index], cells, row: index) {
                    records += 1
                } else if let key = Schema.naturalKey[batch.table],
                    try takeOver(db, table: batch.table, key: key, value: batch.row(index).first, from: path, fileID: fileID,
                                 insert: { try insert(db, line: batch.lines[index], cells, row: index) })
                {
                    records += 1
                } else {
                    duplicates += 1
                }
            }
        }
        return (records, duplicates)
    }

    /// Runs `body` all or nothing: in one write transaction, or in a savepoint of the open group.
    public func write<T>(_ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inSavepoint {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .database(path: path, message: "write failed: \(error)")
        }
    }

    /// Opens a group: the files written until ``commitGroup()`` are committed together, each
    /// still all or nothing (a savepoint). A transaction costs SQLite four `fdatasync`s in
    /// rollback-journal mode; an organisation trail is tens of thousands of small files a night,
    /// and one transaction each left the writer waiting on the disk most of the time.
    public func beginGroup() throws(LedgerError) {
        try execute("BEGIN IMMEDIATE")
    }

    /// Commits the open group.
    public func commitGroup() throws(LedgerError) {
        try execute("COMMIT")
    }

    /// Drops what the open group wrote (after a failure that may have left it inconsistent).
    public func rollbackGroup() {
        try? execute("ROLLBACK")
    }

    private func execute(_ sql: String) throws(LedgerError) {
        do {
            try queue.writeWithoutTransaction { try $0.execute(sql: sql) }
        } catch {
            throw .database(path: path, message: "\(sql) failed: \(error)")
        }
    }

    /// Runs `body` on the writer's connection without writing.
    public func read<T>(_ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return try queue.read(body)
        } catch {
            throw .database(path: path, message: "read failed: \(error)")
        }
    }

    /// A row whose natural key is stored already belongs to the file with the smaller path,
    /// whichever was read first, so that the same files give the same ledger in any order or
    /// split of runs. Returns true when this file takes the row over from the other one.
    private static func takeOver(
        _ db: Database, table: String, key: String, value: SQLValue?, from path: String, fileID: Int64, insert: () throws -> Bool
    ) throws -> Bool {
        guard let value else { return false }
        guard let owner = try Row.fetchOne(
            db, sql: "SELECT t.file_id, f.path FROM \(table) t JOIN input_file f ON f.id = t.file_id WHERE t.\(key) = ?",
            arguments: [value.databaseValue])
        else { return false }
        let ownerPath: String = owner["path"]
        guard ownerPath.utf8.lexicographicallyPrecedes(path.utf8) == false, ownerPath != path else { return false }
        let ownerID: Int64 = owner["file_id"]
        try db.execute(sql: "DELETE FROM \(table) WHERE \(key) = ?", arguments: [value.databaseValue])
        _ = try insert()
        try db.execute(sql: "UPDATE input_file SET records = records - 1, duplicates = duplicates + 1 WHERE id = ?", arguments: [ownerID])
        return true
    }

    private static func isIdentifier(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F || ($0 >= 0x30 && $0 <= 0x39) }
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let i): i.databaseValue
        case .real(let d): d.databaseValue
        case .text(let s): s.databaseValue
        }
    }
}

/// Inserts staging rows through one prepared `INSERT … ON CONFLICT DO NOTHING`, binding each
/// value straight to SQLite. GRDB's `StatementArguments` builds an array of boxed values per row,
/// for each of the hundreds of thousands of rows of a large log (benchmarks/NOTES.md,
/// `RowInserter`), and the writer is the one serial stage.
struct RowInserter {
    let statement: Statement
    let fileID: Int64

    /// Binds `file_id`, `line` and row `row` of `cells` (its texts in place: valid until
    /// ``forgetBindings()``), steps once, and says whether a row was inserted (false: the
    /// natural key was already there).
    func callAsFunction(_ db: Database, line: Int, _ cells: TableBatch.Cells, row: Int) throws -> Bool {
        let raw = RawStatement(statement)
        raw.reset()
        defer { raw.reset() }
        try raw.bind(CollectionOfOne(.integer(fileID)))
        try raw.bind(CollectionOfOne(.integer(Int64(line))), from: 2)
        try raw.bindInPlace(cells, row: row, from: 3)
        _ = try raw.step()  // an INSERT without RETURNING gives no row
        return sqlite3_changes(db.sqliteConnection) == 1
    }

    /// Drops the bindings, which may point into bytes about to be freed.
    func forgetBindings() {
        RawStatement(statement).clearBindings()
    }
}

/// Opens read-only connections to a ledger that is deriving (``LedgerStore/derive(_:)``): each
/// sees what was committed before the derive began, whatever the derive writes meanwhile.
public struct LedgerReaders: Sendable {
    public let path: String

    /// A new read-only connection; one thread uses it, and closes it (lets it go) before the
    /// derive ends.
    public func open() throws(LedgerError) -> DatabaseQueue {
        var config = Configuration()
        config.readonly = true
        config.label = "session-ledger (derive reader)"
        do {
            return try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw .database(path: path, message: "cannot open a reader for the derive: \(error)")
        }
    }
}
