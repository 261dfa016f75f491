import Foundation
import GRDBSQLite
import LedgerModel

/// The row a statement stands on, read in place; valid only inside the `row` callback.
public struct RawRow {
    let statement: OpaquePointer
    public let count: Int

    public enum Kind { case null, integer, real, text, blob }

    public func kind(_ i: Int) -> Kind {
        switch sqlite3_column_type(statement, Int32(i)) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .real
        case SQLITE_BLOB: .blob
        default: .text
        }
    }

    public func integer(_ i: Int) -> Int64 { sqlite3_column_int64(statement, Int32(i)) }
    public func real(_ i: Int) -> Double { sqlite3_column_double(statement, Int32(i)) }
    /// The UTF-8 bytes of a text column (a blob is read by ``value(_:)``, as `x'…'`).
    public func text(_ i: Int) -> UnsafeRawBufferPointer {
        let n = Int(sqlite3_column_bytes(statement, Int32(i)))
        guard let p = sqlite3_column_text(statement, Int32(i)) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    public func value(_ i: Int) -> SQLValue { SQLValue(statement, column: Int32(i)) }
}

extension SQLValue {
    /// Column `i` of the row `s` stands on.
    public init(_ s: OpaquePointer, column i: Int32) {
        switch sqlite3_column_type(s, i) {
        case SQLITE_NULL: self = .null
        case SQLITE_INTEGER: self = .integer(sqlite3_column_int64(s, i))
        case SQLITE_FLOAT: self = .real(sqlite3_column_double(s, i))
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(s, i))
            let bytes = n == 0 ? [] : Array(UnsafeRawBufferPointer(start: sqlite3_column_blob(s, i), count: n))
            self = .text("x'" + bytes.map { String(format: "%02x", $0) }.joined() + "'")
        default:
            let text = sqlite3_column_text(s, i)
            let n = Int(sqlite3_column_bytes(s, i))
            self = .text(
                text.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: n), as: UTF8.self) } ?? "")
        }
    }
}
