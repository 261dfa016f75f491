import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// Every session's columns except the provenance of its create line (file ids follow the order
/// files were first stored in, which differs between a clean run and a staged one).
func sessionRows(_ database: String) throws -> [String] {
    try DatabaseQueue(path: database).read { db in
        try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY session_key").map { row in
            row.columnNames.filter { $0 != "file_id" && $0 != "line" && $0 != "end_evidence" }.map { "\($0)=\(row[$0] as DatabaseValue)" }.joined(separator: "|")
        }
    }
}

@Suite("Reliability: rotation, a run that died before deriving")
struct ReliabilityTests {
    static let cluster = "sessions/j-07TESTCLUSTER/node/i-0a0a0a0a0a0a0a0a1/applications"

    // How this was seen to fail: before moves were recognised, the rotated `.out.1` was taken
    // for a duplicate of the stored `.out`, and the new `.out` then replaced the old rows —
    // every session of the first server run was lost.
    @Test("a rotated Livy log (.out → .out.1, a new .out) keeps its rows and counts nothing twice")
    func rotationKeepsRows() async throws {
        let dir = try TemporaryDirectory("ledger-rotate")
        defer { dir.remove() }
        let run1 = try Fixtures.bytes(Self.cluster + "/livy/livy-livy-server.out.1")
        let run2 = try Fixtures.bytes(Self.cluster + "/livy/livy-livy-server.out")
        let base = "j-07TESTCLUSTER/node/i-0a0a0a0a0a0a0a0a1/applications"
        for (name, store) in [("clean", true), ("staged", false)] {
            let root = dir.path + "/" + name + "/" + base
            try FileManager.default.createDirectory(atPath: root + "/livy", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: root + "/hadoop-yarn", withIntermediateDirectories: true)
            try Data(try Fixtures.bytes(Self.cluster + "/livy/2025_03_03.request.log")).write(to: URL(fileURLWithPath: root + "/livy/2025_03_03.request.log"))
            try Data(try Fixtures.bytes(Self.cluster + "/hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-0-10.log")).write(to: URL(fileURLWithPath: root + "/hadoop-yarn/rm.log"))
            if store {
                try Data(run1).write(to: URL(fileURLWithPath: root + "/livy/livy-livy-server.out.1"))
                try Data(run2).write(to: URL(fileURLWithPath: root + "/livy/livy-livy-server.out"))
            } else {
                try Data(run1).write(to: URL(fileURLWithPath: root + "/livy/livy-livy-server.out"))
            }
        }
        func ingest(_ name: String) async throws -> IngestSummary {
            let store = try LedgerStore(path: dir.path + "/\(name).sqlite")
            return try await Ingestor(store: store, configuration: Configuration()).ingest([Configuration.Input(path: dir.path + "/" + name)])
        }
        _ = try await ingest("clean")
        _ = try await ingest("staged")
        // The server restarts: the launcher renames .out to .out.1 and writes a new .out.
        let livy = dir.path + "/staged/" + base + "/livy/"
        try FileManager.default.moveItem(atPath: livy + "livy-livy-server.out", toPath: livy + "livy-livy-server.out.1")
        try Data(run2).write(to: URL(fileURLWithPath: livy + "livy-livy-server.out"))
        let second = try await ingest("staged")
        #expect(second.files.first { $0.path.hasSuffix(".out.1") }?.action == .moved)
        #expect(second.files.first { $0.path.hasSuffix(".out") }?.action == .loaded)
        #expect(try sessionRows(dir.path + "/staged.sqlite") == (try sessionRows(dir.path + "/clean.sqlite")))
        #expect(try sessionRows(dir.path + "/clean.sqlite").count == 6)
    }

    // How this was seen to fail: with derive run only after something new was stored, a ledger
    // whose last run died after storing its files and before deriving stayed without sessions.
    @Test("files stored by a run that died before deriving are derived by the next run")
    func finishesAnInterruptedRun() async throws {
        let dir = try TemporaryDirectory("ledger-interrupted")
        defer { dir.remove() }
        let path = try dir.write("logs/rm-appsummary.log", try Fixtures.bytes("rm/hadoop2/rm-appsummary.log"))
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: Configuration()).ingest([Configuration.Input(path: dir.path + "/logs")])
        #expect(try store.needsDerive() == false)
        // A file stored, the process killed before the derive transaction.
        _ = try store.load(FileLoad(path: dir.path + "/logs/other.log", size: 1, mtimeNanos: 1, sha256: "x", format: nil,
                                    compression: "none", status: .unrecognised, context: InputContext()))
        #expect(try store.needsDerive() == true)
        _ = path
        let next = try await Ingestor(store: store, configuration: Configuration()).ingest([Configuration.Input(path: dir.path + "/logs")])
        #expect(next.derived)
        #expect(try store.needsDerive() == false)
    }
}
