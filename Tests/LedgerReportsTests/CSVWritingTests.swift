import Foundation
import GRDB
import LedgerModel
import LedgerReports
import LedgerTestSupport
import Testing

@Suite("Report CSV files, written row by row as SQLite gives them")
struct CSVWritingTests {
    // The CSV writer turns SQLite's cells straight into bytes (CSVSink), for speed over a year of
    // sessions; CellFormat.csv is the plain String version of the same rules. For values that
    // need quoting, doubling, signs, rounding, NULLs and blobs, the file must be exactly the String
    // version's bytes, and a few lines are checked by hand. How this was seen to fail: with the
    // writer's quote doubling removed, both the byte comparison and line 3 failed.
    @Test("the streamed CSV file is byte for byte CellFormat.csv of the same rows")
    func streamedMatchesFormatted() throws {
        let dir = try TemporaryDirectory("ledger-csv")
        defer { dir.remove() }
        let db = dir.path + "/t.sqlite"
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER, label TEXT, n INTEGER, usd REAL, b BLOB)")
            let rows: [[(any DatabaseValueConvertible)?]] = [
                [1, "plain", 0, 0.0, Data([0x00, 0xFF])],
                [2, "a,b", -42, 1.23456, nil],
                [3, #"say "hi""#, Int64.min, -0.00005, nil],
                [4, "two\r\nlines", Int64.max, 1e15, nil],
                [5, "é — ü", nil, nil, nil],
                [6, "", 7, 2.5, nil],
            ]
            for row in rows {
                try db.execute(sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?)", arguments: StatementArguments(row))
            }
        }
        try queue.close()
        let queries = dir.path + "/queries"
        try FileManager.default.createDirectory(atPath: queries, withIntermediateDirectories: true)
        try "-- title: T\n-- csv: t.csv\n-- order: 1\nselect label, n, usd, b from t order by id\n"
            .write(toFile: queries + "/t.sql", atomically: true, encoding: .utf8)
        let writer = try ReportWriter(
            queriesDirectory: queries, templatesDirectory: Fixtures.project + "/Reports/templates")
        let ledger = try ReadOnlyLedger(path: db)
        let provenance = Provenance(
            toolVersion: "test", window: "all data", timeZones: [], rateCard: [], configDigest: "", manifestDigest: "")
        _ = try writer.write(ledger: ledger, to: dir.path + "/out", from: "0000", to: "9999", provenance: provenance)

        let written = try String(contentsOfFile: dir.path + "/out/t.csv", encoding: .utf8)
        let table = try QueryRunner.run(sql: "select label, n, usd, b from t order by id", on: ledger)
        #expect(written == CellFormat.csv(table))
        let lines = written.components(separatedBy: "\r\n")
        #expect(lines[0] == "label,n,usd,b")
        #expect(lines[1] == "plain,0,0.0000,x'00ff'")
        #expect(lines[2] == #""a,b",-42,1.2346,"#)
        #expect(lines[3] == #""say ""hi""",-9223372036854775808,-0.0001,"#)
        // Row 4's quoted line break splits it over lines[4] and lines[5].
        #expect(lines[4] == #""two"# && lines[5] == #"lines",9223372036854775807,1000000000000000.0000,"#)
        #expect(lines[6] == "é — ü,,,")
        #expect(lines[7] == ",7,2.5000,")
    }

    // Money cells are written by integers, not printf (CellFormat.appendFixed), falling back to
    // C only near a tie. The reference here is C's own vsnprintf, on values chosen to be hard:
    // exact binary ties at the last digit (k/2^n), values a hair either side of a decimal tie,
    // every magnitude, negative zero, and what only C can write (huge, infinite, NaN).
    // How this was seen to fail: rounding `scaled` to nearest-even without the fallback got
    // thousands wrong, 0.00005 first (C writes 0.0001: the double is just above the tie), and
    // testing `d < 0` for the sign lost it on -0.0.
    @Test("fixed-point cells are exactly what C's %.Nf writes")
    func fixedMatchesPrintf() {
        func printf(_ d: Double, _ decimals: Int) -> String {
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buffer in
                let n = withVaList([d]) { vsnprintf(buffer.baseAddress!, buffer.count, "%.\(decimals)f", $0) }
                return String(
                    decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(n)), as: UTF8.self)
            }
        }
        var values: [Double] = [
            0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.00005, 0.00015, 0.00025, -0.00005, 1.03125, 1.00005, 123.45675,
            0.1 + 0.2, 1e15, 4503599627370495.5, 0x1p52, 1e300, -1e300, .infinity, -.infinity, .nan,
            Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude,
        ]
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<20_000 {
            let exponent = Double(Int.random(in: -12...16, using: &rng))
            values.append(Double.random(in: -1...1, using: &rng) * pow(10, exponent))
            // k / 2^n: exact ties at some decimal place.
            values.append(
                Double(Int.random(in: -1_000_000...1_000_000, using: &rng))
                    / Double(1 << Int.random(in: 0...20, using: &rng)))
            // A hair either side of a tie at the fourth decimal.
            let tie = (Double(Int.random(in: 0...10_000_000, using: &rng)) + 0.5) / 10_000
            values += [tie, tie.nextUp, tie.nextDown]
        }
        var mismatches: [String] = []
        for d in values {
            for decimals in [0, 2, 4, 8] where CellFormat.fixed(d, decimals: decimals) != printf(d, decimals) {
                mismatches.append(
                    "\(d) %.\(decimals)f: \(CellFormat.fixed(d, decimals: decimals)) vs \(printf(d, decimals))")
            }
        }
        if !mismatches.isEmpty {
            Issue.record("\(mismatches.count) cells differ from printf, e.g. \(mismatches.prefix(5))")
        }
        #expect(CellFormat.fixed(1.23456, decimals: 4) == "1.2346")
        #expect(CellFormat.fixed(-0.0, decimals: 2) == "-0.00")
        #expect(CellFormat.fixed(0.125, decimals: 2) == "0.12")  // a true tie: to even
    }
}
