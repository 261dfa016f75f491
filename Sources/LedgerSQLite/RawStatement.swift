import GRDB
import GRDBSQLite
import LedgerModel

/// A prepared statement driven through SQLite's C API: arguments bound and cells read without
/// GRDB's boxing of each value (`StatementArguments`, `Row` decoding by column name).
///
/// For statements run once per row of a large load or derive: staging rows (`RowInserter`), and
/// the per-session statements of `SessionDeriver`, where GRDB's conversions were most of the
/// time (a year is 500,000 sessions). GRDB still prepares, caches and finalises the statement;
/// use it only inside the GRDB access that made it.
public struct RawStatement {
    public let statement: Statement

    public init(_ statement: Statement) {
        self.statement = statement
    }

    private var s: OpaquePointer { statement.sqliteStatement }

    /// SQLite copies the bytes of a bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    private static let empty: StaticString = ""

    /// The row the statement stands on after ``step()`` gave true, read in place (``RawRow``).
    public var row: RawRow { RawRow(statement: s, count: Int(sqlite3_column_count(s))) }

    /// Rows the connection's last INSERT, UPDATE or DELETE changed (`sqlite3_changes`): an
    /// insert `ON CONFLICT DO NOTHING` tells so whether its rows were new.
    public func changes() -> Int {
        Int(sqlite3_changes(sqlite3_db_handle(s)))
    }

    /// Makes the statement ready to run again (its bindings stay until bound anew).
    public func reset() {
        sqlite3_reset(s)
    }

    /// Binds `values` to the parameters from `position` (1-based) on; call ``reset()`` first
    /// when the statement has run.
    public func bind(_ values: some Sequence<SQLValue>, from position: Int32 = 1) throws {
        var position = position
        for value in values {
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(s, position)
            case .integer(let i): code = sqlite3_bind_int64(s, position, i)
            case .real(let d): code = sqlite3_bind_double(s, position, d)
            case .text(var text):
                code = text.withUTF8 { utf8 in
                    // An empty buffer may have no address, which SQLite would bind as NULL.
                    let bytes =
                        utf8.isEmpty ? UnsafeRawPointer(Self.empty.utf8Start) : UnsafeRawPointer(utf8.baseAddress!)
                    return sqlite3_bind_text(
                        s, position, bytes.assumingMemoryBound(to: CChar.self), Int32(utf8.count), Self.transient)
                }
            }
            guard code == SQLITE_OK else { throw failure(code) }
            position += 1
        }
    }

    /// Binds one integer to the parameter at `position` (1-based).
    ///
    /// For a staging row's `file_id` and `line`: not generic, so that the store's call from
    /// another module, once for every row, is direct.
    public func bind(integer value: Int64, at position: Int32) throws {
        let code = sqlite3_bind_int64(s, position, value)
        guard code == SQLITE_OK else { throw failure(code) }
    }

    /// Binds row `row` of `cells` from `position` on, its texts in place (`SQLITE_STATIC`, no
    /// copy): the bytes must outlive the bindings, so call ``clearBindings()`` before they go.
    ///
    /// With `nullsBound` false a NULL cell is skipped: its parameter must be NULL already
    /// (``clearBindings()``).
    public func bindInPlace(_ cells: TableBatch.Cells, row: Int, from position: Int32, nullsBound: Bool = true) throws {
        var position = position
        try cells.forEach(row: row) { cell in
            let code: Int32
            switch cell {
            case .null:
                guard nullsBound else {
                    position += 1
                    return
                }
                code = sqlite3_bind_null(s, position)
            case .integer(let i): code = sqlite3_bind_int64(s, position, i)
            case .real(let d): code = sqlite3_bind_double(s, position, d)
            case .text(let bytes):
                // An empty text may have no address, which SQLite would bind as NULL.
                let start = bytes.baseAddress ?? UnsafeRawPointer(Self.empty.utf8Start)
                // No destructor (SQLITE_STATIC): SQLite reads the bytes where they are.
                code = sqlite3_bind_text(
                    s, position, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
            }
            guard code == SQLITE_OK else { throw failure(code) }
            position += 1
        }
    }

    /// Binds rows `rows` of `cells` in place for an `INSERT … VALUES (…), (…), …` of `rows.count`
    /// tuples of `width` parameters: a tuple's first `leading` parameters are bound by
    /// `bindLeading(row, position)`, its cells follow.
    ///
    /// One run of such a statement inserts the rows in order, as single inserts would, for one run
    /// of SQLite's insert program. Every parameter is cleared first and the NULL cells are left so:
    /// one loop inside SQLite instead of a call for each (a staging row is mostly NULLs; a Livy
    /// event has 20 cells).
    public func bindRowsInPlace(
        _ cells: TableBatch.Cells, rows: Range<Int>, width: Int32, leading: Int32 = 0,
        bindLeading: (_ row: Int, _ position: Int32) throws -> Void = { _, _ in }
    ) throws {
        clearBindings()
        for (k, row) in rows.enumerated() {
            let at = Int32(k) * width
            try bindLeading(row, at + 1)
            try bindInPlace(cells, row: row, from: at + leading + 1, nullsBound: false)
        }
    }

    /// Unbinds every parameter (they become NULL).
    public func clearBindings() {
        sqlite3_clear_bindings(s)
    }

    /// ``bind(_:from:)`` for an array, the form other modules call: a generic called from
    /// another module runs unspecialised (each value through witness tables), which was half
    /// the time of inserting a derived session.
    public func bind(_ values: [SQLValue], from position: Int32 = 1) throws {
        try bind(values[...], from: position)
    }

    /// ``execute(_:)`` for an array (see ``bind(_:from:)-(_,Int32)``).
    public func execute(_ values: [SQLValue]) throws {
        try execute(values[...])
    }

    /// Steps once: true when it stands on a row, false when done.
    public func step() throws -> Bool {
        switch sqlite3_step(s) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code: throw failure(code)
        }
    }

    /// Binds `values` and runs the statement to its end.
    public func execute(_ values: some Sequence<SQLValue>) throws {
        reset()
        try bind(values)
        while try step() {}
        reset()
    }

    /// Column `i` of the current row: nil when NULL.
    public func text(_ i: Int32) -> String? {
        withBytes(i) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Calls `body` with the UTF-8 bytes of column `i` of the current row (nil when NULL),
    /// valid during the call only: for reading a text without making a String of it.
    public func withBytes<R>(_ i: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
        guard sqlite3_column_type(s, i) != SQLITE_NULL, let p = sqlite3_column_text(s, i) else { return try body(nil) }
        return try body(UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(s, i))))
    }

    public func integer(_ i: Int32) -> Int64? {
        sqlite3_column_type(s, i) == SQLITE_NULL ? nil : sqlite3_column_int64(s, i)
    }

    public func real(_ i: Int32) -> Double? {
        sqlite3_column_type(s, i) == SQLITE_NULL ? nil : sqlite3_column_double(s, i)
    }

    private func failure(_ code: Int32) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(s))),
            sql: statement.sql)
    }
}
