import GRDB

/// `nearest_rank(value, percent)`: the SQL aggregate that report queries (and `query`) use for
/// percentiles, by the nearest-rank method of SPEC §5 — the smallest value with at least
/// `percent` % of the group's values at or below it, that is, the ⌈n·p/100⌉-th smallest.
///
/// NULLs are skipped, as by SQL's own aggregates; a group with no values gives NULL.
///
/// Why a function of our own: the system SQLite (3.40 on Debian 12) has no percentile function,
/// and the pure-SQL way — `row_number()` and `count(*)` windows per group — costs a window
/// step per row, a large share of a year's report run (benchmarks/NOTES.md, `nearest_rank`);
/// this is one pass.
struct NearestRank: DatabaseAggregate {
    static let function = DatabaseFunction("nearest_rank", argumentCount: 2, pure: true, aggregate: NearestRank.self)

    private var integers: [Int64] = []
    private var reals: [Double] = []
    private var percent: Double?

    init() {}

    mutating func step(_ arguments: [DatabaseValue]) throws {
        switch arguments[1].storage {
        case .int64(let p): try setPercent(Double(p))
        case .double(let p): try setPercent(p)
        default: throw DatabaseError(message: "nearest_rank(value, percent): percent must be a number in (0, 100]")
        }
        switch arguments[0].storage {
        case .null: break
        case .int64(let v): if reals.isEmpty { integers.append(v) } else { reals.append(Double(v)) }
        case .double(let v):
            // One real among integers: the whole group compares as reals, as SQLite's would.
            if !integers.isEmpty {
                reals = integers.map(Double.init)
                integers = []
            }
            reals.append(v)
        default: throw DatabaseError(message: "nearest_rank(value, percent): value must be a number or NULL")
        }
    }

    private mutating func setPercent(_ p: Double) throws {
        guard p > 0, p <= 100 else {
            throw DatabaseError(message: "nearest_rank(value, percent): percent must be in (0, 100], not \(p)")
        }
        guard percent == nil || percent == p else {
            throw DatabaseError(message: "nearest_rank(value, percent): percent must be the same for the whole group")
        }
        percent = p
    }

    /// ⌈n·p/100⌉ (1-based), exactly for whole percents; at least 1.
    static func rank(count n: Int, percent p: Double) -> Int {
        if p == p.rounded() {
            let whole = Int(p)
            return max(1, (n * whole + 99) / 100)
        }
        return max(1, min(n, Int((Double(n) * p / 100).rounded(.up))))
    }

    func finalize() throws -> (any DatabaseValueConvertible)? {
        guard let percent else { return nil }
        if !reals.isEmpty {
            let rank = Self.rank(count: reals.count, percent: percent)
            return select(reals, rank: rank)
        }
        guard !integers.isEmpty else { return nil }
        return select(integers, rank: Self.rank(count: integers.count, percent: percent))
    }

    private func select<T: Comparable>(_ values: [T], rank: Int) -> T {
        values.sorted()[rank - 1]
    }
}
