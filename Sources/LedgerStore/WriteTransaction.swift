import GRDB
import LedgerModel
import LedgerSQLite

/// The derive's transaction, and what is written in it.
extension LedgerStore {
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
        let wal =
            (try? queue.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") }) == "wal"
        let secureDelete = try? queue.writeWithoutTransaction { db -> Int? in
            let before = try Int.fetchOne(db, sql: "PRAGMA secure_delete")
            try db.execute(sql: "PRAGMA secure_delete = FAST")
            return before
        }
        defer {
            if let before = secureDelete ?? nil {
                _ = try? queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA secure_delete = \(before)") }
            }
            if wal {
                _ = try? queue.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode = DELETE") }
            }
        }
        try write { db in
            try body(db, wal ? LedgerReaders(path: path) : nil)
            try db.execute(
                sql: "UPDATE meta SET value = (SELECT value FROM meta WHERE key = 'generation') WHERE key = 'derived'")
        }
    }

    /// Fills in the SHA-256 of stored plain files whose hash was computed after their rows were
    /// written (``FileLoad/hashLength``): of their bytes and, being plain, of their content.
    ///
    /// A nil hash (the file could not be read again to its length) leaves the row as it is.
    public static func recordHashes(_ db: Database, _ hashes: [(fileID: Int64, sha256: String?)]) throws {
        let update = try db.cachedStatement(
            sql: "UPDATE input_file SET sha256 = ?1, content_sha256 = ?1 WHERE id = ?2 AND compression = 'none'")
        for (fileID, sha) in hashes {
            guard let sha else { continue }
            try update.execute(arguments: [sha, fileID])
        }
    }

    /// Records what a derive was made with (``Schema``'s `ingest_setting`), in its transaction.
    public static func recordSettings(_ db: Database, _ settings: [String: String]) throws {
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            try db.execute(
                sql: "INSERT OR REPLACE INTO ingest_setting (key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }
}
