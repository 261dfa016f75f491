import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerSQLite
import LedgerTestSupport
import Testing

@testable import LedgerDerive
@testable import LedgerStore

/// Sessions derived on several threads (ParallelSessions, on the derive's read-only
/// connections) against the one-thread derive, which is the reference: the same rows, written
/// in the same order, whatever the cut of the work; a failing thread stops the derive; and the
/// ledger is back in a rollback journal, one file, after the derive.
@Suite("Derive: sessions on several threads")
struct ParallelSessionsTests {
    static let samples = Fixtures.project + "/samples"

    /// samples/ ingested once (20 sessions on several clusters); each test works on a copy.
    static let ledger = Task { () throws -> String in
        let dir = try TemporaryDirectory.removedAtExit("ledger-parallel")
        let config = try Configuration.load(path: samples + "/session-ledger.toml")
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: config).ingest(config.inputs)
        return dir.path + "/l.sqlite"
    }

    /// Two clusters' Livy server logs written here, 150 sessions each, the server restarted
    /// after the 100th (ids start again at 0): enough sessions for blocks of 256 that the
    /// writer inserts 64 rows to a statement.
    static let generated = Task { () throws -> String in
        let dir = try TemporaryDirectory.removedAtExit("ledger-parallel-generated")
        for (c, cluster) in ["j-1PARALLEL0001", "j-2PARALLEL0002"].enumerated() {
            var log = ""
            var second = 0
            func line(_ message: String) {
                let t = 1_763_942_400 + c * 100_000 + second
                second += 7
                let d = Date(timeIntervalSince1970: TimeInterval(t))
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = TimeZone(identifier: "UTC")!
                let p = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
                log +=
                    String(
                        format: "%02d/%02d/%02d %02d:%02d:%02d INFO ", p.year! % 100, p.month!, p.day!, p.hour!,
                        p.minute!, p.second!) + message + "\n"
            }
            line("LivyServer: Starting server on http://ip-10-0-0-\(c + 1).ec2.internal:8998")
            for n in 0..<150 {
                if n == 100 { line("LivyServer: Starting server on http://ip-10-0-0-\(c + 1).ec2.internal:8998") }
                let sid = n < 100 ? n : n - 100
                let user = ["alice", "bob", "carol", "dan"][n % 4]
                line(
                    "InteractiveSession$: Creating Interactive session \(sid): [owner: knox, request: [kind: pyspark, proxyUser: Some(\(user)), conf: spark.executor.instances -> \(n % 3 + 1), heartbeatTimeoutInSecond: 0]]"
                )
                if n % 7 != 3 {
                    line(
                        "InteractiveSession: Interactive session \(sid) created [appid: application_17639712000\(c)0_\(String(format: "%04d", n)), owner: knox, proxyUser: None, state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]"
                    )
                }
                if n % 5 != 4 {
                    line("InteractiveSessionManager: Deleting session \(sid)")
                    line("InteractiveSessionManager: Deleted session \(sid)")
                }
            }
            _ = try dir.write("\(cluster)/node/i-0a0a0a0a0a0a0a0a\(c)/applications/livy/livy-livy-server.out", log)
        }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: Configuration()).ingest([
            Configuration.Input(path: dir.path)
        ])
        return dir.path + "/l.sqlite"
    }

    enum Source: String, Sendable, CaseIterable {
        case samples, generated

        var ledger: String {
            get async throws {
                try await (self == .samples ? ParallelSessionsTests.ledger : ParallelSessionsTests.generated).value
            }
        }
        var settings: DeriveSettings {
            get throws {
                self == .samples
                    ? try Configuration.load(path: ParallelSessionsTests.samples + "/session-ledger.toml")
                        .deriveSettings()
                    : try Configuration().deriveSettings()
            }
        }
        var sessions: Int { self == .samples ? 21 : 300 }
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
    // depends on which thread is first has many chances to show. The generated ledger's blocks
    // of 100 and 256 are written 64 rows to a statement, and the rest one by one.
    // How this was seen to fail: with the writer taking blocks as they were finished rather
    // than in their order, rows came in another order; with every cluster's lookups read from
    // the first cluster, the sixth session (another cluster's) lost its stored requests; with
    // a row passed over after each 64-row statement, the generated ledger's blocks lost rows.
    @Test(
        "the rows, and their order, of the one-thread derive, however the work is cut", arguments: Source.allCases,
        [
            ParallelSessions.Shape(threads: 2, blockSize: 1, ahead: 1),
            ParallelSessions.Shape(threads: 3, blockSize: 2, ahead: 2),
            ParallelSessions.Shape(threads: 2, blockSize: 3, ahead: 16),
            ParallelSessions.Shape(threads: 2, blockSize: 100, ahead: 1),
            ParallelSessions.Shape(threads: 4, blockSize: 256, ahead: 16),
        ])
    func sameRowsInTheSameOrder(source: Source, shape: ParallelSessions.Shape) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = try LedgerStore(path: try Self.copy(of: try await source.ledger, into: dir))
        let settings = try source.settings
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
        #expect(one.count == source.sessions)
        #expect(Set(one.map { $0[0] }).count == source.sessions)
        for (run, rows) in many.enumerated() {
            let differs =
                rows.indices.first { $0 >= one.count || rows[$0] != one[$0] }
                ?? (rows.count == one.count ? nil : rows.count)
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
                    db, settings: settings, identity: identity, readers: missing,
                    shape: .init(threads: 2, blockSize: 1, ahead: 1))
            }
        } catch {
            thrown = error
        }
        #expect("\(thrown.map { "\($0)" } ?? "nothing")".contains("missing/l.sqlite"))
        // The derive was rolled back whole: the sessions of the ingest are still there.
        #expect(
            try await DatabaseQueue(path: store.path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM session") }
                == 21)
    }

    // A report in the middle of a query holds the ledger: the switch to WAL is refused, and the
    // derive gets no readers (it derives on its own connection, in the rollback journal).
    // How this was seen to fail: with readers given whatever the switch said, the body got them
    // while the ledger was still in a rollback journal.
    @Test("while another connection reads, the derive gets no readers and the journal stays")
    func readerHoldsTheLedger() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.copy(of: try await Self.ledger.value, into: dir)
        let store = try LedgerStore(path: path)
        struct Stop: Error {}
        let (hadReaders, mode) = try await DatabaseQueue(path: path).read { db -> (Bool?, String?) in
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM session")  // a read lock, held to the end
            var hadReaders: Bool?
            var mode: String?
            do {
                try store.derive { db, readers in
                    hadReaders = readers != nil
                    mode = try String.fetchOne(db, sql: "PRAGMA journal_mode")
                    throw Stop()
                }
            } catch {}
            return (hadReaders, mode)
        }
        #expect(hadReaders == false)
        #expect(mode == "delete")
    }

    // How this was seen to fail: without the switch back after the derive, the ledger stayed in
    // WAL mode (the -wal and -shm files go when the last connection closes; the mode stays).
    @Test("after an ingest the ledger is one file, in a rollback journal")
    func oneFileAtRest() async throws {
        let path = try await Self.ledger.value
        #expect(
            try await DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "delete"
        )
        for suffix in ["-wal", "-shm", "-journal"] {
            #expect(!FileManager.default.fileExists(atPath: path + suffix), "\(suffix) left")
        }
    }
}
