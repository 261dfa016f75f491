import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// Everything a reader sees, as text: sessions, findings, the manifest (without mtimes and ids)
/// and the bytes of every report.
func ledgerSnapshot(_ database: String, configuration: LedgerPipeline.Configuration, reports: String) throws -> [String]
{
    var out = try DatabaseQueue(path: database).read { db -> [String] in
        var parts: [String] = []
        for sql in [
            "SELECT * FROM session ORDER BY session_key",
            "SELECT * FROM finding ORDER BY code, subject, detail",
            "SELECT path, format, status, lines, records, rejected, duplicates, first_event, last_event, detail FROM input_file ORDER BY path",
        ] {
            parts.append(
                try Row.fetchAll(db, sql: sql).map { row in
                    row.columnNames.filter { $0 != "file_id" && $0 != "line" && $0 != "end_evidence" }.map {
                        "\(row[$0] as DatabaseValue)"
                    }.joined(separator: ",")
                }.joined(separator: "\n"))
        }
        return parts
    }
    let reporting = Reporting(
        queriesDirectory: Fixtures.project + "/Queries", templatesDirectory: Fixtures.project + "/Reports/templates")
    for file in try reporting.write(
        database: database, configuration: configuration, to: reports, window: .all, only: [], toolVersion: "soak")
    {
        out.append(file + "\n" + (try String(contentsOfFile: reports + "/" + file, encoding: .utf8)))
    }
    return out
}

@Suite("Soak: the samples ingested in random orders and splits")
struct SoakTests {
    // How this was seen to fail: before a duplicated natural key went to the file with the
    // smaller path, the duplicate counts in data_quality.csv (and the event provenance) depended
    // on which file a split happened to read first.
    @Test("100 random splits of samples/ into 1–4 runs give the ledger and reports of one clean run")
    func randomSplitsAgree() async throws {
        let dir = try TemporaryDirectory("ledger-soak")
        defer { dir.remove() }
        let configPath = Fixtures.project + "/samples/session-ledger.toml"
        let configuration = try LedgerPipeline.Configuration.load(path: configPath)
        let store = try LedgerStore(path: dir.path + "/clean.sqlite")
        _ = try await Ingestor(store: store, configuration: configuration).ingest(configuration.inputs)
        let want = try ledgerSnapshot(
            dir.path + "/clean.sqlite", configuration: configuration, reports: dir.path + "/clean")
        #expect(want[0].split(separator: "\n").count == 21)

        // Every file, with the settings of the input it belongs to. The paths are those a clean
        // run discovers (samples/… from the config's directory), so the manifests compare.
        var files: [LedgerPipeline.Configuration.Input] = []
        for input in configuration.inputs {
            for sub in try FileManager.default.subpathsOfDirectory(atPath: input.path).sorted() {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: input.path + "/" + sub, isDirectory: &isDirectory),
                    !isDirectory.boolValue
                else { continue }
                files.append(
                    LedgerPipeline.Configuration.Input(
                        path: input.path + "/" + sub, format: input.format, cluster: input.cluster,
                        timeZone: input.timeZone))
            }
        }
        var rng = SeededGenerator(seed: 2025)
        for round in 0..<100 {
            let shuffled = files.shuffled(using: &rng)
            let runs = Int.random(in: 1...4, using: &rng)
            let db = dir.path + "/round-\(round).sqlite"
            let ledger = try LedgerStore(path: db)
            for part in 0..<runs {
                let chunk = shuffled.enumerated().filter { $0.offset % runs == part }.map(\.element)
                _ = try await Ingestor(store: ledger, configuration: configuration).ingest(chunk)
            }
            let have = try ledgerSnapshot(db, configuration: configuration, reports: dir.path + "/round-\(round)")
            #expect(have == want, "round \(round): \(runs) run(s) differ from one clean run")
            if have != want { break }
            try? FileManager.default.removeItem(atPath: db)
            try? FileManager.default.removeItem(atPath: dir.path + "/round-\(round)")
        }
    }

    // The writer commits up to 256 files (or 64 MiB) at a time; the samples are fewer, so every
    // other test stores them in one group. Here a commit follows every file (and its savepoint),
    // which must change nothing a reader sees. How this was seen to fail: with the group's
    // commit replaced by a rollback, the ledger came out empty.
    @Test("committing after every file gives the ledger and reports of one group")
    func commitAfterEveryFile() async throws {
        let dir = try TemporaryDirectory("ledger-commits")
        defer { dir.remove() }
        let configuration = try LedgerPipeline.Configuration.load(
            path: Fixtures.project + "/samples/session-ledger.toml")
        _ = try await Ingestor(store: try LedgerStore(path: dir.path + "/group.sqlite"), configuration: configuration)
            .ingest(configuration.inputs)
        var eachFile = Ingestor(store: try LedgerStore(path: dir.path + "/each.sqlite"), configuration: configuration)
        eachFile.commitFiles = 1
        _ = try await eachFile.ingest(configuration.inputs)
        let want = try ledgerSnapshot(
            dir.path + "/group.sqlite", configuration: configuration, reports: dir.path + "/group")
        let have = try ledgerSnapshot(
            dir.path + "/each.sqlite", configuration: configuration, reports: dir.path + "/each")
        #expect(want[0].split(separator: "\n").count == 21)
        #expect(have == want)
    }

    // Commits are placed by counting files and bytes, not by time, so that two clean runs over
    // the same inputs write the same database file: SQLite's header counts commits. How this
    // was seen to fail: when the second run committed after every file (as a group timed by the
    // clock would on a slower run), the two files differed.
    @Test("the same inputs, ingested into two new ledgers in several groups, give the same database bytes")
    func sameBytes() async throws {
        let dir = try TemporaryDirectory("ledger-bytes")
        defer { dir.remove() }
        let configuration = try LedgerPipeline.Configuration.load(
            path: Fixtures.project + "/samples/session-ledger.toml")
        var bytes: [Data] = []
        for name in ["one", "two"] {
            var ingestor = Ingestor(
                store: try LedgerStore(path: dir.path + "/\(name).sqlite"), configuration: configuration)
            ingestor.commitFiles = 3
            _ = try await ingestor.ingest(configuration.inputs)
            bytes.append(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/\(name).sqlite")))
        }
        #expect(bytes[0].count > 100_000 && bytes[0] == bytes[1])
    }
}
