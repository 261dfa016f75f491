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
            for row in rows { try db.execute(sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?)", arguments: StatementArguments(row)) }
        }
        try queue.close()
        let queries = dir.path + "/queries"
        try FileManager.default.createDirectory(atPath: queries, withIntermediateDirectories: true)
        try "-- title: T\n-- csv: t.csv\n-- order: 1\nselect label, n, usd, b from t order by id\n"
            .write(toFile: queries + "/t.sql", atomically: true, encoding: .utf8)
        let writer = try ReportWriter(queriesDirectory: queries, templatesDirectory: Fixtures.project + "/Reports/templates")
        let ledger = try ReadOnlyLedger(path: db)
        let provenance = Provenance(toolVersion: "test", window: "all data", timeZones: [], rateCard: [], configDigest: "", manifestDigest: "")
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
}
