/// A value bound to an SQLite column, independent of any SQLite library.
///
/// Parsers produce these so that the formats module never depends on the store; the store binds
/// them to prepared statements.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// `.text(s)` or `.null` when `s` is nil.
    @inlinable public static func optionalText(_ s: String?) -> SQLValue {
        s.map(SQLValue.text) ?? .null
    }

    /// `.integer(i)` or `.null` when `i` is nil.
    @inlinable public static func optionalInteger(_ i: Int64?) -> SQLValue {
        i.map(SQLValue.integer) ?? .null
    }
}
