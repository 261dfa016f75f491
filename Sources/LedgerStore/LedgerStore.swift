import Foundation
import GRDB
import LedgerModel
import LedgerSQLite

/// The SQLite file: schema, the single writer, and read-only connections.
///
/// All writes go through one `DatabaseQueue`. A file is written whole or not at all, together
/// with its manifest row: in a savepoint of its own inside a group of files that commit
/// together (``beginGroup()``, ``commitGroup()``), or in its own transaction outside a group,
/// so a crash never leaves half a file.
public struct LedgerStore: Sendable {
    public let path: String
    let queue: DatabaseQueue
    /// The staging tables, as the schema has them (``Schema/stagingTables(_:)``).
    public let stagingTables: [String]

    /// Opens (creating, readable by its owner only) and migrates the database at `path`.
    public init(path: String) throws(LedgerError) {
        self.path = path
        _ = SQLiteProcess.memoryStatisticsOff
        do {
            if !FileManager.default.fileExists(atPath: path) {
                let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
                guard fd >= 0 else {
                    throw LedgerError.database(
                        path: path, message: "cannot create the database: \(String(cString: strerror(errno)))")
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
            stagingTables = try queue.read(Schema.stagingTables)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .database(path: path, message: "cannot open the database: \(error)")
        }
    }

    /// The page size of a new ledger, in bytes.
    static let pageSize = 16384

    /// The manifest, by path.
    public func manifest() throws(LedgerError) -> [String: ManifestEntry] {
        try read { db in
            var out: [String: ManifestEntry] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT id, path, size, mtime_ns, sha256, status, format, compression, lines, CASE WHEN compression = 'none' THEN sha256 ELSE content_sha256 END, parser_revision FROM input_file"
            )
            while let row = try rows.next() {
                var entry = ManifestEntry(
                    id: row[0], path: row[1], size: row[2], mtimeNanos: row[3], sha256: row[4],
                    status: FileStatus(rawValue: row[5]) ?? .ok, format: row[6],
                    compression: Compression(rawValue: row[7]) ?? .none, lines: row[8],
                    contentSHA256: row[9])
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

    /// A setting the last derive recorded, or nil.
    public func setting(_ key: String) throws(LedgerError) -> String? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT value FROM ingest_setting WHERE key = ?", arguments: [key])
        }
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

    /// Opens a group: the files written until ``commitGroup()`` are committed together, each still
    /// all or nothing (a savepoint).
    ///
    /// A transaction costs SQLite four `fdatasync`s in rollback-journal mode; an organisation trail
    /// is tens of thousands of small files a night, and one transaction each left the writer
    /// waiting on the disk most of the time.
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
}
