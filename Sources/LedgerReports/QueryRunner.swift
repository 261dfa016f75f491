import Foundation
import GRDB
import LedgerModel

/// A read-only connection to the ledger: nothing run on it can write (reports, `query`).
public struct ReadOnlyLedger: Sendable {
    public let path: String
    let queue: DatabaseQueue

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
            _ = try? DatabaseQueue(path: path).inDatabase { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
        }
        var config = Configuration()
        config.readonly = true
        config.label = "session-ledger (read-only)"
        self.path = path
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw .database(path: path, message: "cannot open the database read-only: \(error)")
        }
    }
}

/// Runs one SQL statement on a read-only connection and returns its rows as a ``ResultTable``.
///
/// A statement that would write is refused before it runs (SQLite's own `sqlite3_stmt_readonly`),
/// and the connection is read-only besides, so nothing typed into `query` can change the ledger.
public enum QueryRunner {
    /// - Parameter arguments: values for named parameters (`:from`); those the SQL does not use
    ///   are left out.
    public static func run(sql: String, on ledger: ReadOnlyLedger, arguments: [String: String] = [:], file: String? = nil) throws(LedgerError) -> ResultTable {
        let origin = file.map { "\($0): " } ?? "query: "
        do {
            return try ledger.queue.read { db in
                let statements = try db.allStatements(sql: sql)
                guard let statement = try statements.next() else {
                    throw LedgerError.query(message: "\(origin)the SQL holds no statement")
                }
                guard try statements.next() == nil else {
                    throw LedgerError.query(message: "\(origin)give one statement at a time")
                }
                guard statement.isReadonly else {
                    throw LedgerError.query(
                        message: "\(origin)refused, this statement would write: \(statement.sql.trimmingCharacters(in: .whitespacesAndNewlines)). The ledger is changed only by ingest.")
                }
                if !arguments.isEmpty {
                    let used = arguments.filter { statement.sql.contains(":" + $0.key) }
                    try statement.setArguments(StatementArguments(used.mapValues { $0 as (any DatabaseValueConvertible)? }))
                }
                let columns = statement.columnNames
                var rows: [[SQLValue]] = []
                let cursor = try Row.fetchCursor(statement)
                while let row = try cursor.next() {
                    rows.append((0..<row.count).map { SQLValue(row[$0] as DatabaseValue) })
                }
                return ResultTable(columns: columns, rows: rows)
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
