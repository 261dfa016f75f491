import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// Two clusters of hand-written logs in the EMR log-archive layout.
///
/// The clusters, in `Tests/LedgerTestSupport/Fixtures/sessions` (read them beside this file):
/// - `j-07TESTCLUSTER`: Livy 0.7, logs in UTC, two server runs (`.out.1` then `.out`), a request
///   log and the ResourceManager log;
/// - `j-09TESTCLUSTER`: Livy 0.9, Livy and YARN logs in America/New_York (EST, UTC−5 on
///   2025-03-04), the request log in GMT as Jetty writes it.
///
/// Every expected value below is worked out by hand from those lines, with the default rate
/// card: $0.048 per vCPU-hour, $0.003 per GiB-hour.
struct SessionScenario {
    let dir: TemporaryDirectory
    var database: String { dir.path + "/ledger.sqlite" }

    init() throws {
        dir = try TemporaryDirectory.removedAtExit("ledger-sessions")
        let root = Fixtures.path("sessions")
        for file in try FileManager.default.subpathsOfDirectory(atPath: root).sorted() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + file, isDirectory: &isDirectory),
                !isDirectory.boolValue
            else { continue }
            let bytes = try Fixtures.bytes("sessions/" + file)
            // As the EMR archive has them: gzipped (the rotated Livy log stays plain).
            if file.hasSuffix(".out.1") {
                try dir.write("logs/" + file, bytes)
            } else {
                try dir.write("logs/" + file + ".gz", Gzip.compress(bytes))
            }
        }
    }

    func ingest() async throws -> IngestSummary {
        let store = try LedgerStore(path: database)
        return try await Ingestor(store: store, configuration: Configuration(), workers: 2).ingest([
            Configuration.Input(path: dir.path + "/logs/j-07TESTCLUSTER"),
            Configuration.Input(path: dir.path + "/logs/j-09TESTCLUSTER", timeZone: "America/New_York"),
        ])
    }

    func sessions() throws -> [String: Row] {
        try DatabaseQueue(path: database).read { db in
            var out: [String: Row] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM session") {
                out["\(row["cluster_id"] as String)/\(row["proxy_user"] as String? ?? "-")"] = row
            }
            return out
        }
    }
}

@Suite("Sessions rebuilt from Livy 0.7 and 0.9, request and ResourceManager logs")
struct SessionTests {
    /// Ingested once for the suite (the tests only read).
    static let shared = Task { () throws -> SessionScenario in
        let s = try SessionScenario()
        _ = try await s.ingest()
        return s
    }

    func session(_ key: String) async throws -> Row {
        let all = try await Self.shared.value.sessions()
        return try #require(all[key], "no session \(key); have \(all.keys.sorted())")
    }

    @Test("every Livy file, request log and RM log is recognised by content")
    func recognisesEveryFile() async throws {
        let s = try await Self.shared.value
        let formats = try await DatabaseQueue(path: s.database).read { db in
            try Row.fetchAll(db, sql: "SELECT path, format, status FROM input_file ORDER BY path").map {
                "\(URL(fileURLWithPath: $0["path"] as String).lastPathComponent) \($0["format"] as String? ?? "-") \($0["status"] as String)"
            }
        }
        #expect(
            formats == [  // by path: …/hadoop-yarn/… sorts before …/livy/…
                "yarn-yarn-resourcemanager-ip-10-0-0-10.log.gz yarn-rm ok",
                "2025_03_03.request.log.gz livy-request ok",
                "livy-livy-server.out.1 livy-server ok",
                "livy-livy-server.out.gz livy-server ok",
                "yarn-yarn-resourcemanager-ip-10-0-9-10.log.gz yarn-rm ok",
                "2025_03_04.request.log.gz livy-request ok",
                "livy-livy-server.out.gz livy-server ok",
            ])
    }

    @Test("one session per (cluster, server start, id): ten sessions, id 0 twice on the 0.7 cluster")
    func keysSessions() async throws {
        let all = try await Self.shared.value.sessions()
        #expect(all.count == 10)
        let keys = all.values.map { $0["session_key"] as String }.sorted()
        #expect(
            keys == [
                "j-07TESTCLUSTER/2025-03-03T08:00:02Z/0", "j-07TESTCLUSTER/2025-03-03T08:00:02Z/1",
                "j-07TESTCLUSTER/2025-03-03T08:00:02Z/2", "j-07TESTCLUSTER/2025-03-03T08:00:02Z/3",
                "j-07TESTCLUSTER/2025-03-03T08:00:02Z/4", "j-07TESTCLUSTER/2025-03-03T18:00:02Z/0",
                // 0.9 cluster: "Starting server" at 08:00:01 EST = 13:00:01Z
                "j-09TESTCLUSTER/2025-03-04T13:00:01Z/0", "j-09TESTCLUSTER/2025-03-04T13:00:01Z/1",
                "j-09TESTCLUSTER/2025-03-04T13:00:01Z/2", "j-09TESTCLUSTER/2025-03-04T13:00:01Z/3",
            ])
    }

    /// Every derived column of one session, worked out by hand from the fixture lines.
    struct Expected: Sendable, CustomTestStringConvertible {
        var key: String  // cluster/proxy user
        var endReason: String
        var createdAt: String
        var readyAt: String?
        var endedAt: String?
        var lastActivityAt: String
        var statements: Int
        var durationS: Int
        var idleTailS: Int
        var abandoned: Int
        var appID: String?
        var appLink: String?
        var vcoreSeconds: Int?
        var memoryMBSeconds: Int?
        var costBasis: String
        var costUSD: Double?
        var idleCostUSD: Double?
        var testDescription: String { "\(key) \(endReason)" }
    }

    // Rates: $0.048 per vCPU-hour, $0.003 per GiB-hour. "yarn" cost = vcore_s/3600 × 0.048 +
    // MB_s/1024/3600 × 0.003; "requested" = (vCPU × 0.048 + GiB × 0.003) × duration/3600;
    // idle cost = cost × idle tail / duration.
    static let expected: [Expected] = [
        // alice (0.7): created 09:00:00, ready 09:00:40, statements 09:05 and 09:30; "inactive for
        // more than 2.88E7 ms" 17:30:30, Stopped 17:30:31, Deleted 17:30:32, YARN finish 17:30:33.5
        // → ended 17:30:31. duration 8 h 30 min 31 s = 30631; tail 17:30:31 − 09:30:00 = 28831.
        // cost = 30631 × (4 × 0.048 + 8 × 0.003) / 3600 = 30631 × 0.00006 = 1.83786 (vcore_s
        // 122524 = 30631 × 4, MB_s 250929152 = 30631 × 8192); idle = 28831 × 0.00006 = 1.72986.
        Expected(
            key: "j-07TESTCLUSTER/alice", endReason: "idle_timeout", createdAt: "2025-03-03T09:00:00Z",
            readyAt: "2025-03-03T09:00:40Z", endedAt: "2025-03-03T17:30:31Z", lastActivityAt: "2025-03-03T09:30:00Z",
            statements: 2, durationS: 30631, idleTailS: 28831, abandoned: 1,
            appID: "application_1741000000000_0001", appLink: "ready_line", vcoreSeconds: 122524,
            memoryMBSeconds: 250_929_152, costBasis: "yarn", costUSD: 1.83786, idleCostUSD: 1.72986),
        // bob (0.7): DELETE /sessions/1 at 11:00:00 (request log), Stopped/Deleted 11:00:01, YARN
        // finish 11:00:02.3 → ended 11:00:01; duration 3601; tail from the 10:10:00 statement 3001.
        // cost = 3601 × (4 × 0.048 + 4 × 0.003) / 3600 = 3601 × 0.204 / 3600; idle = 3001 × 0.204 / 3600.
        Expected(
            key: "j-07TESTCLUSTER/bob", endReason: "user_deleted", createdAt: "2025-03-03T10:00:00Z",
            readyAt: "2025-03-03T10:00:30Z", endedAt: "2025-03-03T11:00:01Z", lastActivityAt: "2025-03-03T10:10:00Z",
            statements: 1, durationS: 3601, idleTailS: 3001, abandoned: 0,
            appID: "application_1741000000000_0002", appLink: "ready_line", vcoreSeconds: 14404,
            memoryMBSeconds: 14_749_696, costBasis: "yarn", costUSD: 3601 * 0.204 / 3600,
            idleCostUSD: 3001 * 0.204 / 3600),
        // carol (0.7): `hadoop` kills the app at 13:00:00 (audit), finish 13:00:00.2; Livy 0.7
        // purges the dead session at 13:10:30 with "inactive for more than" — not an idle timeout.
        // ended 13:00:00; duration 3600; tail from ready 12:00:35 = 3565; the 400 POST is not activity.
        // cost = 7200/3600 × 0.048 + 7372800/1024/3600 × 0.003 = 0.096 + 0.006 = 0.102; idle = 0.102 × 3565/3600.
        Expected(
            key: "j-07TESTCLUSTER/carol", endReason: "app_killed", createdAt: "2025-03-03T12:00:00Z",
            readyAt: "2025-03-03T12:00:35Z", endedAt: "2025-03-03T13:00:00Z", lastActivityAt: "2025-03-03T12:00:35Z",
            statements: 0, durationS: 3600, idleTailS: 3565, abandoned: 0,
            appID: "application_1741000000000_0003", appLink: "ready_line", vcoreSeconds: 7200,
            memoryMBSeconds: 7_372_800, costBasis: "yarn", costUSD: 0.102, idleCostUSD: 0.102 * 3565 / 3600),
        // dave (0.7): "No YARN application is found with tag livy-session-3-…" at 14:02:00 (stack
        // trace under an ERROR line); never ready; dead from 14:02:00 → 120 s; nothing to price.
        Expected(
            key: "j-07TESTCLUSTER/dave", endReason: "start_failed", createdAt: "2025-03-03T14:00:00Z",
            readyAt: nil, endedAt: "2025-03-03T14:02:00Z", lastActivityAt: "2025-03-03T14:00:00Z",
            statements: 0, durationS: 120, idleTailS: 120, abandoned: 0,
            appID: nil, appLink: nil, vcoreSeconds: nil, memoryMBSeconds: nil, costBasis: "none", costUSD: nil,
            idleCostUSD: nil),
        // erin (0.7): created 15:00:00, ready 15:00:30; the server restarts (first start-up line of
        // the new run 18:00:01, no recovery). No YARN summary → requested: driver 1 core 2g +
        // 2 executors × (2 cores, 4g) = 5 vCPU, 10 GiB. duration 10801; tail 10771.
        // cost = 10801 × 0.27 / 3600 = 0.810075; idle = 10771 × 0.27 / 3600 = 0.807825.
        Expected(
            key: "j-07TESTCLUSTER/erin", endReason: "server_restart", createdAt: "2025-03-03T15:00:00Z",
            readyAt: "2025-03-03T15:00:30Z", endedAt: "2025-03-03T18:00:01Z", lastActivityAt: "2025-03-03T15:00:30Z",
            statements: 0, durationS: 10801, idleTailS: 10771, abandoned: 1,
            appID: "application_1741000000000_0005", appLink: "ready_line", vcoreSeconds: nil,
            memoryMBSeconds: nil, costBasis: "requested", costUSD: 0.810075, idleCostUSD: 0.807825),
        // frank (0.7, second run, id 0 again): created 18:05:00, statement 18:10:00, no end; as_of =
        // the RM line at 20:00:00. duration 6900, tail 6600; defaults 1 + 2 × 1 vCPU, 1 + 2 × 1 GiB.
        // cost = 6900 × 0.153 / 3600 = 0.29325; idle = 6600 × 0.153 / 3600 = 0.2805.
        Expected(
            key: "j-07TESTCLUSTER/frank", endReason: "still_running", createdAt: "2025-03-03T18:05:00Z",
            readyAt: "2025-03-03T18:05:30Z", endedAt: nil, lastActivityAt: "2025-03-03T18:10:00Z",
            statements: 1, durationS: 6900, idleTailS: 6600, abandoned: 1,
            appID: "application_1741000000000_0006", appLink: "ready_line", vcoreSeconds: nil,
            memoryMBSeconds: nil, costBasis: "requested", costUSD: 0.29325, idleCostUSD: 0.2805),
        // gina (0.9, EST logs): created 09:00:00 EST = 14:00:00Z; ready 14:00:40Z with `appid: null`;
        // the app found by its lower-case tag livy-session-0-x9y8z7w6 (its name is custom).
        // Statements 14:10 and 14:30 (GMT). "inactive for more than 0.0036 secs" 15:30:00Z,
        // Stopped/Deleted 15:30:01Z. duration 5401; tail 3601 (≥ 3600: abandoned).
        // cost = 5401 × (2 × 0.048 + 2 × 0.003) / 3600 = 5401 × 0.102 / 3600; idle = 3601 × 0.102 / 3600.
        Expected(
            key: "j-09TESTCLUSTER/gina", endReason: "idle_timeout", createdAt: "2025-03-04T14:00:00Z",
            readyAt: "2025-03-04T14:00:40Z", endedAt: "2025-03-04T15:30:01Z", lastActivityAt: "2025-03-04T14:30:00Z",
            statements: 2, durationS: 5401, idleTailS: 3601, abandoned: 1,
            appID: "application_1741100000000_0001", appLink: "tag", vcoreSeconds: 10802,
            memoryMBSeconds: 11_061_248, costBasis: "yarn", costUSD: 5401 * 0.102 / 3600,
            idleCostUSD: 3601 * 0.102 / 3600),
        // hank (0.9): "Session 1 expired" 16:00:00Z, Stopped/Deleted 16:00:01Z; duration 14:05:00 →
        // 16:00:01 = 6901; tail from the 14:06:00 statement = 6841.
        // cost = 6901 × (0.048 + 0.003) / 3600; idle = 6841 × 0.051 / 3600.
        Expected(
            key: "j-09TESTCLUSTER/hank", endReason: "heartbeat_expired", createdAt: "2025-03-04T14:05:00Z",
            readyAt: "2025-03-04T14:05:30Z", endedAt: "2025-03-04T16:00:01Z", lastActivityAt: "2025-03-04T14:06:00Z",
            statements: 1, durationS: 6901, idleTailS: 6841, abandoned: 1,
            appID: "application_1741100000000_0002", appLink: "ready_line", vcoreSeconds: 6901,
            memoryMBSeconds: 7_066_624, costBasis: "yarn", costUSD: 6901 * 0.051 / 3600,
            idleCostUSD: 6841 * 0.051 / 3600),
        // ivy (0.9): the app FAILED at 15:20:00Z; 0.9 purges with "finished before 600.0 secs" at
        // 15:30:30Z. ended 15:20:00; duration 1200; tail from ready 15:00:30 = 1170.
        // cost = 2400/3600 × 0.048 + 4915200/1024/3600 × 0.003 = 0.032 + 0.004 = 0.036; idle = 0.036 × 1170/1200 = 0.0351.
        Expected(
            key: "j-09TESTCLUSTER/ivy", endReason: "app_killed", createdAt: "2025-03-04T15:00:00Z",
            readyAt: "2025-03-04T15:00:30Z", endedAt: "2025-03-04T15:20:00Z", lastActivityAt: "2025-03-04T15:00:30Z",
            statements: 0, durationS: 1200, idleTailS: 1170, abandoned: 0,
            appID: "application_1741100000000_0003", appLink: "ready_line", vcoreSeconds: 2400,
            memoryMBSeconds: 4_915_200, costBasis: "yarn", costUSD: 0.036, idleCostUSD: 0.0351),
        // jack (0.9): the app FINISHED on its own at 16:05:00Z, before Livy purged the session.
        // duration 300; tail from the 16:01:00 statement 240.
        // cost = 600/3600 × 0.048 + 614400/1024/3600 × 0.003 = 0.008 + 0.0005 = 0.0085; idle = 0.0085 × 240/300 = 0.0068.
        Expected(
            key: "j-09TESTCLUSTER/jack", endReason: "app_finished", createdAt: "2025-03-04T16:00:00Z",
            readyAt: "2025-03-04T16:00:30Z", endedAt: "2025-03-04T16:05:00Z", lastActivityAt: "2025-03-04T16:01:00Z",
            statements: 1, durationS: 300, idleTailS: 240, abandoned: 0,
            appID: "application_1741100000000_0004", appLink: "ready_line", vcoreSeconds: 600,
            memoryMBSeconds: 614400, costBasis: "yarn", costUSD: 0.0085, idleCostUSD: 0.0068),
    ]

    @Test("every derived column of every session, against the hand-worked values", arguments: expected)
    func derivesEveryColumn(_ e: Expected) async throws {
        let s = try await session(e.key)
        #expect(s["end_reason"] == e.endReason)
        #expect(s["created_at"] == e.createdAt)
        #expect(s["ready_at"] == e.readyAt)
        #expect(s["ended_at"] == e.endedAt)
        #expect(s["last_activity_at"] == e.lastActivityAt)
        #expect(s["statements"] == e.statements)
        #expect(s["duration_s"] == e.durationS)
        #expect(s["idle_tail_s"] == e.idleTailS)
        #expect(s["abandoned"] == e.abandoned)
        #expect(s["app_id"] == e.appID)
        #expect(s["app_link"] == e.appLink)
        #expect(s["vcore_seconds"] == e.vcoreSeconds)
        #expect(s["memory_mb_seconds"] == e.memoryMBSeconds)
        #expect(s["cost_basis"] == e.costBasis)
        let cost: Double? = s["cost_usd"]
        let idle: Double? = s["idle_cost_usd"]
        #expect((cost == nil) == (e.costUSD == nil))
        #expect((idle == nil) == (e.idleCostUSD == nil))
        if let cost, let want = e.costUSD { #expect(abs(cost - want) < 1e-9, "cost \(cost) ≠ \(want)") }
        if let idle, let want = e.idleCostUSD { #expect(abs(idle - want) < 1e-9, "idle cost \(idle) ≠ \(want)") }
    }

    @Test("what the other columns say: owners, kinds, evidence, requested resources, queue")
    func describesSessions() async throws {
        let alice = try await session("j-07TESTCLUSTER/alice")
        #expect(alice["owner"] == "knox")
        #expect(alice["kind"] == "pyspark")
        #expect(alice["activity_source"] == "request_log")
        let bob = try await session("j-07TESTCLUSTER/bob")
        #expect((bob["end_evidence"] as String).hasPrefix("livy_request "))
        let carol = try await session("j-07TESTCLUSTER/carol")
        #expect((carol["end_evidence"] as String).hasSuffix("killed by hadoop"))
        let erin = try await session("j-07TESTCLUSTER/erin")
        #expect(erin["requested_vcores"] == 5)
        #expect(erin["requested_memory_mb"] == 10240)
        #expect(erin["queue"] == "analytics")
        let frank = try await session("j-07TESTCLUSTER/frank")
        #expect(frank["session_key"] == "j-07TESTCLUSTER/2025-03-03T18:00:02Z/0")
        let gina = try await session("j-09TESTCLUSTER/gina")
        #expect(gina["owner"] == nil as String?)  // `owner: null`: no authentication on that Livy
        #expect(gina["rate_effective"] == "1970-01-01")
    }

    // How this was seen to fail: with LivyServerFormat.isSecret answering false, the conf was
    // stored with AKIAREALSECRET and t0k3n, and both were found in the database file's bytes.
    @Test("secrets in a session's conf are stored as *** and appear nowhere in the database")
    func redactsSecrets() async throws {
        let scenario = try await Self.shared.value
        let conf = try await DatabaseQueue(path: scenario.database).read { db in
            try String.fetchOne(db, sql: "SELECT conf FROM livy_event WHERE event = 'create' AND proxy_user = 'bob'")
        }
        #expect(
            conf
                == #"{"spark.hadoop.fs.s3a.secret.key":"***","spark.app.token":"***","spark.executor.instances":"3","spark.jars.packages":"org.a:b:1.0,org.c:d:2.0"}"#
        )
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scenario.database))
        #expect(bytes.range(of: Data("AKIAREALSECRET".utf8)) == nil)
        #expect(bytes.range(of: Data("t0k3n".utf8)) == nil)
    }

    @Test("ResourceManager audit lines name who submitted and killed which app")
    func storesAuditLines() async throws {
        let scenario = try await Self.shared.value
        let kills = try await DatabaseQueue(path: scenario.database).read { db in
            try Row.fetchAll(
                db, sql: "SELECT at, user, ip, app_id FROM yarn_audit WHERE operation = 'Kill Application Request'"
            ).map {
                "\($0["at"] as String) \($0["user"] as String) \($0["ip"] as String) \($0["app_id"] as String)"
            }
        }
        #expect(kills == ["2025-03-03T13:00:00.000Z hadoop 10.0.0.10 application_1741000000000_0003"])
    }
}

@Suite("Idle-timeout what-if over the hand-computed sessions")
struct WhatIfTests {
    // Sessions with an idle tail over 60 min (3600 s), from the hand-worked values above:
    //   alice 28831 s, $0.00006/s    → 25231 s × 0.00006         = 1.51386
    //   erin  10771 s, $0.27/3600/s  →  7171 s × 0.000075        = 0.537825
    //   frank  6600 s, $0.153/3600/s →  3000 s × 0.0000425       = 0.1275
    //   gina   3601 s, $0.102/3600/s →     1 s × 0.0000283333…   = 0.0000283333…
    //   hank   6841 s, $0.051/3600/s →  3241 s × 0.0000141666…   = 0.0459141666…
    // saving = 2.2251275; idle hours saved = (25231 + 7171 + 3000 + 1 + 3241) / 3600 = 10.7344…
    @Test("the 60-minute row matches the SPEC formula to the cent (and beyond)")
    func matchesHandComputedSaving() async throws {
        let scenario = try await SessionTests.shared.value
        let sql = try String(contentsOfFile: Fixtures.project + "/Queries/idle_timeout_whatif.sql", encoding: .utf8)
        let rows = try DatabaseQueue(path: scenario.database).read { db in
            try Row.fetchAll(db, sql: sql, arguments: ["from": "0000", "to": "9999"])  // the whole window
        }
        #expect(rows.map { $0["timeout_minutes"] as Int } == [15, 30, 60, 120, 240, 480])
        let hour = try #require(rows.first { $0["timeout_minutes"] == 60 })
        #expect(hour["sessions_affected"] == 5)
        #expect(abs((hour["cost_saved_usd"] as Double) - 2.2251275) < 1e-9)
        #expect(abs((hour["idle_hours_saved"] as Double) - 38644.0 / 3600) < 1e-9)
        // 480 min (28800 s): only alice (28831 s) is affected, by 31 s × 0.00006 = 0.00186.
        let eight = try #require(rows.first { $0["timeout_minutes"] == 480 })
        #expect(eight["sessions_affected"] == 1)
        #expect(abs((eight["cost_saved_usd"] as Double) - 0.00186) < 1e-9)
    }
}
