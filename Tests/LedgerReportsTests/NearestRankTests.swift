import Foundation
import GRDB
import LedgerModel
import LedgerReports
import LedgerTestSupport
import Testing

@Suite("nearest_rank(value, percent): the percentile aggregate the reports use")
struct NearestRankTests {
    /// Runs `sql` on a ledger holding `t(g, v)` with `rows`; returns its first column.
    func run(_ sql: String, rows: [(String, (any DatabaseValueConvertible)?)]) throws -> [SQLValue] {
        let dir = try TemporaryDirectory("ledger-rank")
        defer { dir.remove() }
        let path = dir.path + "/t.sqlite"
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (g TEXT, v)")
            for (g, v) in rows { try db.execute(sql: "INSERT INTO t VALUES (?, ?)", arguments: [g, v]) }
        }
        try queue.close()
        return try QueryRunner.run(sql: sql, on: ReadOnlyLedger(path: path)).rows.map { $0[0] }
    }

    // The textbook example of the nearest-rank method: for 15, 20, 35, 40, 50 the 30th and 40th
    // percentiles are 20, the 50th is 35, the 100th is 50 (rank ⌈n·p/100⌉), in any input order.
    @Test("the ⌈n·p/100⌉-th smallest value, for whole and fractional percents")
    func textbook() throws {
        let rows: [(String, (any DatabaseValueConvertible)?)] = [("a", 40), ("a", 15), ("a", 50), ("a", 35), ("a", 20)]
        for (p, expected) in [(30, 20), (40, 20), (50, 35), (90, 50), (100, 50), (1, 15)] {
            #expect(try run("select nearest_rank(v, \(p)) from t", rows: rows) == [.integer(Int64(expected))], "p\(p)")
        }
        // 20.5 % of 5 is 1.025 → rank 2.
        #expect(try run("select nearest_rank(v, 20.5) from t", rows: rows) == [.integer(20)])
    }

    // How the mixed case was seen to fail: with the integers left behind when a real came,
    // p100 of 1, 3, 2.5 was 2.5.
    @Test("NULLs are skipped, an empty group gives NULL, reals stay reals, groups are apart")
    func nullsRealsGroups() throws {
        #expect(
            try run("select nearest_rank(v, 50) from t", rows: [("a", nil), ("a", 7), ("a", nil)]) == [.integer(7)])
        #expect(try run("select nearest_rank(v, 50) from t", rows: [("a", nil)]) == [.null])
        #expect(try run("select nearest_rank(v, 50) from t where 0", rows: [("a", 1)]) == [.null])
        #expect(try run("select nearest_rank(v, 50) from t", rows: [("a", 2.5), ("a", 1), ("a", 3)]) == [.real(2.5)])
        // A real after integers: the integers already seen join it as reals (1, 2.5, 3 → p100 = 3.0).
        #expect(try run("select nearest_rank(v, 100) from t", rows: [("a", 1), ("a", 3), ("a", 2.5)]) == [.real(3)])
        #expect(try run("select nearest_rank(v, 34) from t", rows: [("a", 3), ("a", 1), ("a", 2.5)]) == [.real(2.5)])
        #expect(
            try run("select nearest_rank(v, 100) from t group by g order by g", rows: [("a", 1), ("b", 9), ("a", 4)])
                == [.integer(4), .integer(9)])
    }

    @Test("a percent outside (0, 100], or text to rank, is an error that names the function")
    func refusals() throws {
        for sql in [
            "select nearest_rank(v, 0) from t", "select nearest_rank(v, 101) from t",
            "select nearest_rank(v, 'x') from t",
        ] {
            #expect(throws: LedgerError.self) { try run(sql, rows: [("a", 1)]) }
        }
        do {
            _ = try run("select nearest_rank(v, 50) from t", rows: [("a", "text")])
            Issue.record("text was ranked")
        } catch {
            #expect("\(error)".contains("nearest_rank"))
        }
    }
}
