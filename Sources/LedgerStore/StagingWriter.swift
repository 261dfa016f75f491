import GRDB
import LedgerModel
import LedgerSQLite

/// Staging rows into the store: one file all or nothing, its rows streamed in pieces.
extension LedgerStore {
    /// Writes one file all or nothing (a savepoint, or a transaction outside a group): its manifest
    /// row (replacing an earlier version of the same path and everything read from it) and its
    /// rows.
    ///
    /// Rows whose natural key is already stored are dropped and counted.
    public func load(_ file: FileLoad) throws(LedgerError) -> LoadOutcome {
        let stored = try load(
            path: file.path, appending: file.appendedAfterLine != nil, pieces: { .end(file) }, keep: { _ in true })
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

    /// Writes one file whose rows arrive in pieces, in one savepoint, so that a large log is never
    /// held whole in memory: `pieces` is called until it gives the file's end.
    ///
    /// Only then are the file's hash and counts known, so `keep` decides at the end whether it is
    /// stored (a file that turns out to be a copy of a stored one is rolled back and recorded
    /// otherwise). `appending` adds the rows of a grown file to those already stored under `path`.
    public func load(
        path: String, appending: Bool, pieces next: () -> LoadPiece, keep: (FileLoad) -> Bool
    ) throws(LedgerError) -> StreamedLoad {
        var result: StreamedLoad?
        do {
            try queue.writeWithoutTransaction { db in
                try db.inSavepoint {
                    result = try Self.load(
                        db, path: path, appending: appending, staging: stagingTables, pieces: next, keep: keep)
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
        _ db: Database, path: String, appending: Bool, staging: [String], pieces next: () -> LoadPiece,
        keep: (FileLoad) -> Bool
    ) throws -> StreamedLoad {
        var replaced = false
        let fileID: Int64
        let existing = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM input_file WHERE path = ?"), arguments: [path])
        if appending, let existing {
            // A grown file read on: keep its rows; sizes, hash and counts follow the file.
            fileID = existing
        } else if let existing {
            replaced = true
            fileID = existing
            for table in staging {
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
                let (r, d) = try insertRows(db, batch, fileID: fileID, path: path, staging: staging)
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
                arguments: [
                    file.size, file.mtimeNanos, file.sha256, file.lines, file.rejected,
                    file.firstEvent, file.firstEvent, file.firstEvent, file.lastEvent, file.lastEvent, file.lastEvent,
                    records, duplicates, fileID,
                ])
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
                    file.size, file.mtimeNanos, file.sha256, file.format, file.compression.rawValue,
                    file.status.rawValue,
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

    /// Inserts one batch of staging rows; returns (stored, dropped as duplicates).
    private static func insertRows(
        _ db: Database, _ batch: TableBatch, fileID: Int64, path: String, staging: [String]
    ) throws -> (Int, Int) {
        precondition(staging.contains(batch.table), "no staging table \(batch.table)")
        let rowsPerInsert = MultiRowInsert.rowsPerInsert
        let columns = ["file_id", "line"] + batch.columns
        let conflict = " ON CONFLICT DO NOTHING"
        let statement = try db.cachedStatement(sql: MultiRowInsert.sql(batch.table, columns, rows: 1, suffix: conflict))
        let insert = RowInserter(statement: statement, fileID: fileID)
        var records = 0
        var duplicates = 0
        // A table without a natural key takes its rows `rowsPerInsert` to a statement: one run
        // of SQLite's insert program (the transaction check, a cursor on the table and on each
        // index, opened and closed) for several rows. The rows go in in the same order, so the
        // table is the one single inserts make; a row already there (its file and line) is
        // skipped by `ON CONFLICT DO NOTHING` and counted as a duplicate all the same.
        let many: RawStatement? =
            batch.naturalKey == nil && batch.rowCount >= rowsPerInsert
            ? RawStatement(
                try db.cachedStatement(
                    sql: MultiRowInsert.sql(batch.table, columns, rows: rowsPerInsert, suffix: conflict)))
            : nil
        try batch.withCells { cells in
            // The texts are bound in place (SQLITE_STATIC): forget them before the bytes go.
            defer {
                insert.forgetBindings()
                many?.clearBindings()
            }
            let first =
                try many.map { many in
                    try MultiRowInsert.runs(
                        many, cells, rows: batch.rowCount, width: Int32(columns.count), leading: 2,
                        bindLeading: { row, at in
                            try many.bind(integer: fileID, at: at)
                            try many.bind(integer: Int64(batch.lines[row]), at: at + 1)
                        },
                        stored: { stored in
                            records += stored
                            duplicates += rowsPerInsert - stored
                        })
                } ?? 0
            for index in first..<batch.rowCount {
                if try insert(db, line: batch.lines[index], cells, row: index) {
                    records += 1
                } else if let key = batch.naturalKey,
                    try takeOver(
                        db, table: batch.table, key: key, value: batch.row(index).first, from: path, fileID: fileID,
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

    /// A row whose natural key is stored already belongs to the file with the smaller path,
    /// whichever was read first, so that the same files give the same ledger in any order or split
    /// of runs.
    ///
    /// Returns true when this file takes the row over from the other one.
    private static func takeOver(
        _ db: Database, table: String, key: String, value: SQLValue?, from path: String, fileID: Int64,
        insert: () throws -> Bool
    ) throws -> Bool {
        guard let value else { return false }
        guard
            let owner = try Row.fetchOne(
                db,
                sql:
                    "SELECT t.file_id, f.path FROM \(table) t JOIN input_file f ON f.id = t.file_id WHERE t.\(key) = ?",
                arguments: [value.databaseValue])
        else { return false }
        let ownerPath: String = owner["path"]
        guard ownerPath.utf8.lexicographicallyPrecedes(path.utf8) == false, ownerPath != path else { return false }
        let ownerID: Int64 = owner["file_id"]
        try db.execute(sql: "DELETE FROM \(table) WHERE \(key) = ?", arguments: [value.databaseValue])
        _ = try insert()
        try db.execute(
            sql: "UPDATE input_file SET records = records - 1, duplicates = duplicates + 1 WHERE id = ?",
            arguments: [ownerID])
        return true
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

/// Inserts staging rows through one prepared `INSERT … ON CONFLICT DO NOTHING`, binding each value
/// straight to SQLite.
///
/// GRDB's `StatementArguments` builds an array of boxed values per row, for each of the hundreds of
/// thousands of rows of a large log (benchmarks/NOTES.md, `RowInserter`), and the writer is the one
/// serial stage.
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
        try raw.bind(integer: fileID, at: 1)
        try raw.bind(integer: Int64(line), at: 2)
        try raw.bindInPlace(cells, row: row, from: 3)
        _ = try raw.step()  // an INSERT without RETURNING gives no row
        return raw.changes() == 1
    }

    /// Drops the bindings, which may point into bytes about to be freed.
    func forgetBindings() {
        RawStatement(statement).clearBindings()
    }
}
