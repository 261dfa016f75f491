import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// A report of a past window gives the same numbers whenever it is run, and says what the
/// ingest derived with (SPEC §4 `as_of`, §5 provenance).
///
/// Cluster j-CAPCLUSTER01 (UTC), Livy 0.8: session 0 (ada) created Monday 2025-03-03 09:00:00,
/// ready 09:00:30; statements 09:30:00 Monday and 09:00:00 Tuesday; deleted Tuesday 10:00:00.
/// No YARN summary: priced as requested (Spark defaults: 3 vCPU, 3 GiB) at $0.048 per vCPU-hour
/// and $0.003 per GiB-hour, $0.153 an hour.
struct CappedScenario {
    static let node = "logs/j-CAPCLUSTER01/node/i-0c0c0c0c0c0c0c0c3/applications/livy/"
    static let livy = """
        25/03/03 08:00:02 INFO WebServer: Starting server on http://h:8998
        25/03/03 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: null, request: [kind: pyspark, proxyUser: Some(ada), heartbeatTimeoutInSecond: 0, ]]
        25/03/03 09:00:30 INFO InteractiveSession: Interactive session 0 created [appid: null, owner: null, proxyUser: Some(ada), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]
        25/03/04 10:00:00 INFO InteractiveSessionManager: Deleting session 0
        25/03/04 10:00:00 INFO InteractiveSessionManager: Deleted session 0

        """
    static let monday = "10.0.0.5 - - [03/Mar/2025:09:30:00 +0000] \"POST /sessions/0/statements HTTP/1.1\" 201 57\n"
    static let tuesday = """
        10.0.0.5 - - [04/Mar/2025:09:00:00 +0000] "POST /sessions/0/statements HTTP/1.1" 201 57
        10.0.0.5 - - [04/Mar/2025:10:00:00 +0000] "DELETE /sessions/0 HTTP/1.1" 200 17

        """
    /// Thursday: a later session, ingested after the first report.
    static let thursday = """
        25/03/06 09:00:00 INFO InteractiveSession$: Creating Interactive session 1: [owner: null, request: [kind: pyspark, proxyUser: Some(bo), heartbeatTimeoutInSecond: 0, ]]

        """

    static func report(
        _ database: String, from: String?, to: String?,
        config: LedgerPipeline.Configuration = LedgerPipeline.Configuration(), out: String
    ) throws -> [String: String] {
        let reporting = Reporting(
            queriesDirectory: Fixtures.project + "/Queries", templatesDirectory: Fixtures.project + "/Reports/templates"
        )
        let files = try reporting.write(
            database: database, configuration: config, to: out, window: try .days(from: from, to: to), only: [],
            toolVersion: "test")
        var texts: [String: String] = [:]
        for file in files {
            texts[file] = try String(contentsOfFile: out + "/" + file, encoding: .utf8).replacingOccurrences(
                of: "\r\n", with: "\n")
        }
        return texts
    }
}

@Suite("Reports of a past window, and what the ingest derived with")
struct CappedReportTests {
    // Window Monday alone: its end, Tuesday 00:00:00, caps as_of. Then ada's session was still
    // running: no ended_at, still_running; its last activity is the Monday statement (the
    // Tuesday one came after the cap), 1 statement; duration 09:00 → 24:00 = 54000 s, idle tail
    // 09:30 → 24:00 = 52200 s, abandoned; cost 15 h × $0.153 = $2.295, idle $2.295 × 52200 /
    // 54000 = $2.2185. The whole data: ended Tuesday 10:00 (user_deleted), 90000 s, 2
    // statements, idle 3600 s. After Thursday's log is ingested, Monday's report is the same
    // bytes, and the ledger file was never written by a report.
    // How this was seen to fail: Monday's report showed the session ended Tuesday (90000 s).
    @Test("a report of a past window caps as_of at its end, and gives the same bytes after more data came in")
    func cappedWindow() async throws {
        let dir = try TemporaryDirectory("ledger-capped")
        defer { dir.remove() }
        try dir.write(CappedScenario.node + "livy-livy-server.out", CappedScenario.livy)
        try dir.write(CappedScenario.node + "2025_03_03.request.log", CappedScenario.monday)
        try dir.write(CappedScenario.node + "2025_03_04.request.log", CappedScenario.tuesday)
        let database = dir.path + "/l.sqlite"
        let store = try LedgerStore(path: database)
        let input = [Configuration.Input(path: dir.path + "/logs")]
        _ = try await Ingestor(store: store, configuration: Configuration(), workers: 1).ingest(input)

        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let monday = try CappedScenario.report(
            database, from: "2025-03-03", to: "2025-03-03", out: dir.path + "/monday")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before)
        let header =
            "session_key,cluster_id,livy_session_id,kind,owner,proxy_user,user_id,user_name,cost_center,app_id,queue,created_at,ready_at,ended_at,end_reason,last_activity_at,statements,duration_s,idle_tail_s,interactive_s,background_s,mode_observed,mode_policy,vcore_seconds,memory_mb_seconds,cost_basis,cost_usd,idle_cost_usd,background_cost_usd,abandoned,identity_status,executor_cap,executor_cap_source,peak_containers,peak_vcores,account_id,user_account_id\n"
        #expect(
            monday["sessions.csv"] == header + """
                j-CAPCLUSTER01/2025-03-03T08:00:02Z/0,j-CAPCLUSTER01,0,pyspark,,ada,,,,,,2025-03-03T09:00:00Z,2025-03-03T09:00:30Z,,still_running,2025-03-03T09:30:00Z,1,54000,52200,,,unknown,unknown,,,requested,2.2950,2.2185,,1,unresolved,,none,,,,

                """)
        #expect(
            monday["report.md"]?.contains(
                "Made by session-ledger test over 2025-03-03 to 2025-03-03 (as of 2025-03-04T00:00:00Z).") == true)
        let whole = try CappedScenario.report(database, from: nil, to: nil, out: dir.path + "/all")
        #expect(
            whole["sessions.csv"]?.contains(",2025-03-04T10:00:00Z,user_deleted,2025-03-04T09:00:00Z,2,90000,3600,")
                == true)

        try dir.write(CappedScenario.node + "livy-livy-server.out", CappedScenario.livy + CappedScenario.thursday)
        _ = try await Ingestor(store: store, configuration: Configuration(), workers: 1).ingest(input)
        let again = try CappedScenario.report(
            database, from: "2025-03-03", to: "2025-03-03", out: dir.path + "/monday-again")
        // report.md and report.html carry the data quality (every file, not windowed) and the
        // input manifest's digest.
        for name in monday.keys.sorted()
        where name != "data_quality.csv" && name != "report.md" && name != "report.html" {
            #expect(again[name] == monday[name], "\(name)")
        }
    }

    // The ingest used its own rate card ($0.05, $0.004 from 2025-01-01); the report is run with
    // no config at all. Its footer says the card and config the ingest derived with, not the
    // defaults. How this was seen to fail: it printed the default card and the empty config's digest.
    @Test("the provenance footer says what the ingest derived with, not the report's config")
    func provenanceFromIngest() async throws {
        let dir = try TemporaryDirectory("ledger-provenance")
        defer { dir.remove() }
        try dir.write(CappedScenario.node + "livy-livy-server.out", CappedScenario.livy)
        let configText =
            "timezone = \"UTC\"\n[[rates]]\neffective = 2025-01-01\nvcpu_hour_usd = 0.05\ngb_hour_usd = 0.004\n"
        try dir.write("c.toml", configText)
        let config = try Configuration.load(path: dir.path + "/c.toml")
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: config, workers: 1).ingest([
            Configuration.Input(path: dir.path + "/logs")
        ])
        let text = try #require(
            try CappedScenario.report(dir.path + "/l.sqlite", from: nil, to: nil, out: dir.path + "/out")["report.md"])
        #expect(text.contains("Rate card: from 2025-01-01: $0.0500 per vCPU-hour, $0.0040 per GiB-hour."))
        let digest = try sha256sum(Array(configText.utf8))
        #expect(text.contains("Config digest: `\(digest)`."))
    }

    // First ingest: the default card ($0.153 an hour for 3 vCPU + 3 GiB); the session ran 25 h:
    // $3.825. Second ingest, no new file, the card doubled ($0.096, $0.006): $7.65. How this was
    // seen to fail: nothing was stored, so nothing was derived, and the session kept $3.825.
    @Test("a changed rate card reprices the sessions at the next ingest, even with no new file")
    func settingsChangeRederives() async throws {
        let dir = try TemporaryDirectory("ledger-reprice")
        defer { dir.remove() }
        try dir.write(CappedScenario.node + "livy-livy-server.out", CappedScenario.livy)
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        let input = [Configuration.Input(path: dir.path + "/logs")]
        func cost() throws -> Double {
            try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
                try Double.fetchOne(db, sql: "SELECT cost_usd FROM session") ?? -1
            }
        }
        _ = try await Ingestor(store: store, configuration: Configuration(), workers: 1).ingest(input)
        #expect(abs(try cost() - 3.825) < 1e-9)
        let doubled = try Configuration.parse(
            "[[rates]]\neffective = 1970-01-01\nvcpu_hour_usd = 0.096\ngb_hour_usd = 0.006\n",
            path: dir.path + "/c.toml")
        let summary = try await Ingestor(store: store, configuration: doubled, workers: 1).ingest(input)
        #expect(summary.derived)
        #expect(abs(try cost() - 7.65) < 1e-9)
    }
}
