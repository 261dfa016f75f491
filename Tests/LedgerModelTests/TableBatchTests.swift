import LedgerModel
import Testing

/// A batch keeps its values encoded in one buffer; what goes in must come out, by `row(_:)` and
/// read in place by `withCells(_:)`, whatever the value.
@Suite("Table batches: rows kept encoded")
struct TableBatchTests {
    static let columns = ["a", "b", "c", "d"]

    /// Values at the edges of each kind: the integer extremes; reals that `==` cannot tell apart
    /// by bits (−0.0) and the smallest subnormal; texts empty, of one byte, of exactly 15 and
    /// 16 UTF-8 bytes (the inline limit of a Swift string), with a NUL inside, non-ASCII, and long.
    static let rows: [[SQLValue]] = [
        [.null, .integer(0), .real(0), .text("")],
        [.integer(Int64.min), .integer(Int64.max), .integer(-1), .text("x")],
        [.real(-0.0), .real(.leastNonzeroMagnitude), .real(-1234.5625), .real(.infinity)],
        [.text("fifteen bytes.."), .text("sixteen bytes..."), .text("a\u{0}b"), .text("Zoë → 東京 🚀")],
        [.text(String(repeating: "conf=", count: 20_000)), .null, .null, .integer(42)],
    ]

    static func batch() -> TableBatch {
        var batch = TableBatch(table: "t", columns: columns)
        for (i, row) in rows.enumerated() { batch.append(line: 10 * (i + 1), row) }
        return batch
    }

    // How this was seen to fail: with a text's bytes read from one byte too early (8 bytes after
    // its tag, not 9), every text came back with a NUL first and its last byte lost.
    @Test("every value comes back as it went in, with its line")
    func roundTrips() {
        let batch = Self.batch()
        #expect(batch.rowCount == Self.rows.count)
        #expect(batch.lines == [10, 20, 30, 40, 50])
        for (i, row) in Self.rows.enumerated() {
            #expect(batch.row(i) == row)
        }
        // −0.0 == 0.0 for Double, so its sign is checked by its bits.
        guard case .real(let negativeZero) = batch.row(2)[0] else {
            Issue.record("not a real")
            return
        }
        #expect(negativeZero.sign == .minus)
    }

    // How this was seen to fail: with a text cell made from the buffer's start instead of from
    // its own bytes (no `rebasing`), every text read in place came back as the first bytes of
    // the buffer. (The same mutation as above fails here too.)
    @Test("cells read in place give the same values, texts as their UTF-8 bytes")
    func cellsInPlace() {
        let batch = Self.batch()
        batch.withCells { cells in
            for (i, row) in Self.rows.enumerated() {
                var seen: [SQLValue] = []
                cells.forEach(row: i) { cell in
                    switch cell {
                    case .null: seen.append(.null)
                    case .integer(let v): seen.append(.integer(v))
                    case .real(let v): seen.append(.real(v))
                    case .text(let bytes): seen.append(.text(String(decoding: bytes, as: UTF8.self)))
                    }
                }
                #expect(seen == row)
            }
        }
    }

    @Test("take hands over the rows and starts empty; the size counts what is held")
    func takeStartsEmpty() {
        var batch = Self.batch()
        let held = batch.byteCount
        // Row 4 alone holds its 100,000-byte text.
        #expect(held > 100_000)
        let taken = batch.take()
        #expect(taken.rowCount == 5)
        #expect(taken.byteCount == held)
        #expect(batch.rowCount == 0)
        #expect(batch.byteCount == 0)
        batch.append(line: 1, [.integer(7), .null, .text("y"), .real(1)])
        #expect(batch.row(0) == [.integer(7), .null, .text("y"), .real(1)])
        #expect(taken.row(4) == Self.rows[4])
    }
}
