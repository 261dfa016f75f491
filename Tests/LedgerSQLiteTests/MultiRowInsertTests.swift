import GRDB
import LedgerModel
import LedgerSQLite
import LedgerTestSupport
import Testing

@Suite("Rows of a batch into their table, many to a statement")
struct MultiRowInsertTests {
    // The derive's inserter: 150 rows, two 64-row statements and 22 one by one. Each row's
    // values say its position, so a row lost, doubled, moved or shifted by a parameter shows.
    // How this was seen to fail: with a row passed over after each statement, c64 and c129
    // were missing; with each tuple bound one parameter late, the insert failed; with one row of
    // the tail skipped, c140 was missing.
    @Test("the derive's rows go in 64 to a statement, then one by one, in order, texts as they are")
    func insertsABatchInOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let queue = try DatabaseQueue(path: dir.path + "/l.sqlite")
        try queue.write {
            try $0.execute(
                sql: "CREATE TABLE cluster (cluster_id TEXT NOT NULL, files INTEGER NOT NULL, as_of TEXT) STRICT")
        }
        var batch = TableBatch(table: "cluster", columns: ["cluster_id", "files", "as_of"])
        func asOf(_ i: Int) -> SQLValue {
            i % 10 == 0 ? .null : .text(i % 10 == 5 ? "" : "2025-01-01T00:00:\(i % 60)Z")
        }
        for i in 0..<150 { batch.append(line: 0, [.text("c\(i)"), .integer(Int64(i)), asOf(i)]) }
        try queue.write { try MultiRowInsert.insert($0, batch) }
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT cluster_id, files, quote(as_of) FROM cluster ORDER BY rowid").map {
                "\($0[0] as String) \($0[1] as Int) \($0[2] as String)"
            }
        }
        let expected = (0..<150).map { i in
            "c\(i) \(i) " + (i % 10 == 0 ? "NULL" : i % 10 == 5 ? "''" : "'2025-01-01T00:00:\(i % 60)Z'")
        }
        #expect(rows == expected)
    }
}
