import Foundation
import GRDB
import LedgerModel
import LedgerSQLite

/// A read-only connection to the ledger: nothing run on it can write (reports, `query`).
public struct ReadOnlyLedger: Sendable {
    public let path: String
    let queue: DatabaseQueue
    /// This connection holds temporary tables of its own (``prepared(_:)``): every report must
    /// run on it, not on a fresh connection.
    public private(set) var isPrepared = false

    public init(path: String) throws(LedgerError) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .database(path: path, message: "no database here; run 'session-ledger ingest' first or pass --db")
        }
        // A run killed while writing leaves a hot journal, which only a connection allowed to
        // write can roll back (SQLite's own crash recovery); a read-only connection fails on it
        // with "attempt to write a readonly database" until the next ingest. So when a journal
        // is there, a plain connection opens first, reads one row (SQLite rolls the journal
        // back as it would for any writer) and closes. A running ingest's journal is not hot
        // (its lock is held), so it is left alone.
        if FileManager.default.fileExists(atPath: path + "-journal") {
            _ = try? DatabaseQueue(path: path).inDatabase {
                try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master")
            }
        }
        var config = Configuration()
        config.readonly = true
        config.label = "session-ledger (read-only)"
        // SQL functions the reports use besides SQLite's own (Queries/README.md lists them).
        config.prepareDatabase { db in db.add(function: NearestRank.function) }
        self.path = path
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw .database(path: path, message: "cannot open the database read-only: \(error)")
        }
    }

    /// This connection after `body` made temporary tables and views on it (SQLite's temporary
    /// schema is writable on a read-only connection; the ledger's file is not touched).
    ///
    /// Reports run on the answer read what `body` made in place of the ledger's tables of those
    /// names.
    public func prepared(_ body: (Database) throws -> Void) throws(LedgerError) -> ReadOnlyLedger {
        do {
            try queue.inDatabase { try body($0) }
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .database(path: path, message: "cannot derive the window's snapshot: \(error)")
        }
        var copy = self
        copy.isPrepared = true
        return copy
    }
}

/// Runs one SQL statement on a read-only connection and returns its rows as a ``ResultTable``.
///
/// A statement that would write is refused before it runs (SQLite's own `sqlite3_stmt_readonly`),
/// and the connection is read-only besides, so nothing typed into `query` can change the ledger.
public enum QueryRunner {
    /// Runs one SQL statement and returns all its rows.
    ///
    /// - Parameters:
    ///   - sql: the statement; a statement that would write is refused.
    ///   - ledger: the read-only connection it runs on.
    ///   - arguments: values for named parameters (`:from`); those the SQL does not use
    ///     are left out.
    ///   - file: the file the SQL was read from, named in error messages (else `query`).
    /// - Returns: the statement's column names and rows.
    /// - Throws: ``LedgerError/query(message:)`` when the SQL holds no statement or more than
    ///   one, when the statement would write, or when SQLite fails on it.
    public static func run(
        sql: String, on ledger: ReadOnlyLedger, arguments: [String: String] = [:], file: String? = nil
    ) throws(LedgerError) -> ResultTable {
        var table = ResultTable(columns: [], rows: [])
        try stream(
            sql: sql, on: ledger, arguments: arguments, file: file, columns: { table.columns = $0 },
            row: { table.rows.append($0) })
        return table
    }

    /// Runs one SQL statement as ``run(sql:on:arguments:file:)`` does, but hands each row to `row`
    /// as SQLite steps to it, so that a report over a year of sessions is never held whole.
    ///
    /// Values are read straight from SQLite (`sqlite3_column_*`), not decoded by GRDB per cell: a
    /// year's report has millions of cells (benchmarks/NOTES.md, `QueryRunner.stream`).
    public static func stream(
        sql: String, on ledger: ReadOnlyLedger, arguments: [String: String] = [:], file: String? = nil,
        columns: ([String]) throws -> Void, row: ([SQLValue]) throws -> Void
    ) throws(LedgerError) {
        var values: [SQLValue] = []
        try stream(sql: sql, on: ledger, arguments: arguments, file: file, columns: columns) { raw in
            values.removeAll(keepingCapacity: true)
            for i in 0..<raw.count { values.append(raw.value(i)) }
            try row(values)
        }
    }

    /// As above, with each row as SQLite holds it: a writer that turns cells straight into bytes (a
    /// report's CSV) makes no values in between.
    ///
    /// `row` must not keep the `RawRow`.
    public static func stream(
        sql: String, on ledger: ReadOnlyLedger, arguments: [String: String] = [:], file: String? = nil,
        columns: ([String]) throws -> Void, raw row: (RawRow) throws -> Void
    ) throws(LedgerError) {
        let origin = file.map { "\($0): " } ?? "query: "
        do {
            try ledger.queue.read { db in
                let statements = try db.allStatements(sql: sql)
                guard let statement = try statements.next() else {
                    throw LedgerError.query(message: "\(origin)the SQL holds no statement")
                }
                guard try statements.next() == nil else {
                    throw LedgerError.query(message: "\(origin)give one statement at a time")
                }
                guard statement.isReadonly else {
                    throw LedgerError.query(
                        message:
                            "\(origin)refused, this statement would write: \(statement.sql.trimmingCharacters(in: .whitespacesAndNewlines)). The ledger is changed only by ingest."
                    )
                }
                if !arguments.isEmpty {
                    let used = arguments.filter { statement.sql.contains(":" + $0.key) }
                    try statement.setArguments(
                        StatementArguments(used.mapValues { $0 as (any DatabaseValueConvertible)? }))
                }
                try columns(statement.columnNames)
                let raw = RawStatement(statement)
                raw.reset()
                defer { raw.reset() }
                let current = raw.row
                while try raw.step() { try row(current) }
            }
        } catch let error as LedgerError {
            throw error
        } catch let error as DatabaseError {
            throw .query(message: "\(origin)SQLite error \(error.resultCode.rawValue): \(error.message ?? "\(error)")")
        } catch {
            throw .query(message: "\(origin)\(error)")
        }
    }
}

extension SQLValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let data): self = .text("x'" + data.map { String(format: "%02x", $0) }.joined() + "'")
        }
    }
}
