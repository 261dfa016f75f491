import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
@testable import LedgerStore
import LedgerTestSupport
import Testing

@testable import LedgerDerive

/// Sessions derived on several threads (ParallelSessions, on the derive's read-only
/// connections) against the one-thread derive, which is the reference: the same rows, written
/// in the same order, whatever the cut of the work; a failing thread stops the derive; and the
/// ledger is back in a rollback journal, one file, after the derive.
@Suite("Derive: sessions on several threads")
struct ParallelSessionsTests {
    static let samples = Fixtures.project + "/samples"

    /// samples/ ingested once (16 sessions on several clusters); each test works on a copy.
    static let ledger = Task { () throws -> String in
        let dir = try TemporaryDirectory.removedAtExit("ledger-parallel")
        let config = try Configuration.load(path: samples + "/session-ledger.toml")
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: config).ingest(config.inputs)
        return dir.path + "/l.sqlite"
    }

    static func copy(of path: String, into dir: TemporaryDirectory) throws -> String {
        let target = dir.path + "/copy.sqlite"
        try FileManager.default.copyItem(atPath: path, toPath: target)
        return target
    }

    /// Every session row in table order, each cell as SQLite's text of it.
    static func sessions(_ db: Database) throws -> [[String]] {
        try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY rowid").map { row in
            row.databaseValues.map { $0.description }
        }
    }

    // Blocks of one session with one block ahead make the threads hand the writer blocks out
    // of order all the time; four shapes, each derived five times, so that an order that
    // depends on which thread is first has many chances to show.
    // How this was seen to fail: with the writer taking blocks as they were finished rather
    // than in their order, rows came in another order; with every cluster's lookups read from
    // the first cluster, the sixth session (another cluster's) lost its stored requests.
    @Test("the rows, and their order, of the one-thread derive, however the work is cut", arguments: [
        ParallelSessions.Shape(threads: 2, blockSize: 1, ahead: 1),
        ParallelSessions.Shape(threads: 3, blockSize: 2, ahead: 2),
        ParallelSessions.Shape(threads: 2, blockSize: 3, ahead: 16),
        ParallelSessions.Shape(threads: 4, blockSize: 256, ahead: 16),
    ])
    func sameRowsInTheSameOrder(shape: ParallelSessions.Shape) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: try Self.copy(of: try await Self.ledger.value, into: dir))
        let settings = try Configuration.load(path: Self.samples + "/session-ledger.toml").deriveSettings()
        var one: [[String]] = []
        var many: [[[String]]] = []
        var hadReaders = false
        try store.derive { db, readers in
            hadReaders = readers != nil
            let identity = try IdentityDeriver.rebuild(db, settings: settings)
            try SessionDeriver.rebuild(db, settings: settings, identity: identity, readers: nil)
            one = try Self.sessions(db)
            for _ in 0..<5 {
                try SessionDeriver.rebuild(db, settings: settings, identity: identity, readers: readers, shape: shape)
                many.append(try Self.sessions(db))
            }
        }
        #expect(hadReaders)
        #expect(one.count == 16)
        #expect(Set(one.map { $0[0] }).count == 16)
        for (run, rows) in many.enumerated() {
            let differs = rows.indices.first { $0 >= one.count || rows[$0] != one[$0] } ?? (rows.count == one.count ? nil : rows.count)
            #expect(differs == nil, "run \(run + 1): rows differ from row \(differs ?? 0) on")
        }
    }

    // How this was seen to fail: with the error kept by the thread and not given to the
    // writer, the derive waited for the walk for ever.
    @Test("a thread that cannot read stops the derive with its error")
    func failingThreadStopsTheDerive() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: try Self.copy(of: try await Self.ledger.value, into: dir))
        let settings = try Configuration.load(path: Self.samples + "/session-ledger.toml").deriveSettings()
        let missing = LedgerReaders(path: dir.path + "/missing/l.sqlite")
        var thrown: (any Error)?
        do {
            try store.derive { db, _ in
                let identity = try IdentityDeriver.rebuild(db, settings: settings)
                try SessionDeriver.rebuild(
                    db, settings: settings, identity: identity, readers: missing, shape: .init(threads: 2, blockSize: 1, ahead: 1))
            }
        } catch {
            thrown = error
        }
        #expect("\(thrown.map { "\($0)" } ?? "nothing")".contains("missing/l.sqlite"))
        // The derive was rolled back whole: the sessions of the ingest are still there.
        #expect(try await DatabaseQueue(path: store.path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM session") } == 16)
    }

    // How this was seen to fail: without the switch back after the derive, the ledger stayed in
    // WAL mode (the -wal and -shm files go when the last connection closes; the mode stays).
    @Test("after an ingest the ledger is one file, in a rollback journal")
    func oneFileAtRest() async throws {
        let path = try await Self.ledger.value
        #expect(try await DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "delete")
        for suffix in ["-wal", "-shm", "-journal"] {
            #expect(!FileManager.default.fileExists(atPath: path + suffix), "\(suffix) left")
        }
    }
}
