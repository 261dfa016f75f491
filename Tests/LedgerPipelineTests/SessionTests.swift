import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// Two clusters of hand-written logs in the EMR log-archive layout
/// (`Tests/LedgerTestSupport/Fixtures/sessions`, read them beside this file):
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
        dir = try TemporaryDirectory("ledger-sessions")
        let root = Fixtures.path("sessions")
        for file in try FileManager.default.subpathsOfDirectory(atPath: root).sorted() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
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
        #expect(formats == [  // by path: …/hadoop-yarn/… sorts before …/livy/…
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
        #expect(keys == [
            "j-07TESTCLUSTER/2025-03-03T08:00:02Z/0", "j-07TESTCLUSTER/2025-03-03T08:00:02Z/1",
            "j-07TESTCLUSTER/2025-03-03T08:00:02Z/2", "j-07TESTCLUSTER/2025-03-03T08:00:02Z/3",
            "j-07TESTCLUSTER/2025-03-03T08:00:02Z/4", "j-07TESTCLUSTER/2025-03-03T18:00:02Z/0",
            // 0.9 cluster: "Starting server" at 08:00:01 EST = 13:00:01Z
            "j-09TESTCLUSTER/2025-03-04T13:00:01Z/0", "j-09TESTCLUSTER/2025-03-04T13:00:01Z/1",
            "j-09TESTCLUSTER/2025-03-04T13:00:01Z/2", "j-09TESTCLUSTER/2025-03-04T13:00:01Z/3",
        ])
    }

    // alice (0.7): created 09:00:00, ready 09:00:40, statements 09:05:00 and 09:30:00,
    // "inactive for more than 2.88E7 ms" at 17:30:30, Stopped 17:30:31, Deleted 17:30:32,
    // YARN finish 17:30:33.5. ended = first of stopped/deleted/finish = 17:30:31.
    // duration = 17:30:31 − 09:00:00 = 8 h 30 min 31 s = 30631 s; idle tail = 17:30:31 − 09:30:00 = 28831 s.
    // cost (yarn) = 122524/3600 × 0.048 + 250929152/1024/3600 × 0.003
    //             = 30631 × (4 × 0.048 + 8 × 0.003) / 3600 = 30631 × 0.00006 = 1.83786
    // idle cost = 1.83786 × 28831 / 30631 = 28831 × 0.00006 = 1.72986
    @Test("idle timeout (0.7): times, tail, statements and cost to the cent")
    func idleTimeout07() async throws {
        let s = try await session("j-07TESTCLUSTER/alice")
        #expect(s["end_reason"] == "idle_timeout")
        #expect(s["created_at"] == "2025-03-03T09:00:00Z")
        #expect(s["ready_at"] == "2025-03-03T09:00:40Z")
        #expect(s["ended_at"] == "2025-03-03T17:30:31Z")
        #expect(s["last_activity_at"] == "2025-03-03T09:30:00Z")
        #expect(s["statements"] == 2)
        #expect(s["duration_s"] == 30631)
        #expect(s["idle_tail_s"] == 28831)
        #expect(s["abandoned"] == 1)
        #expect(s["app_id"] == "application_1741000000000_0001")
        #expect(s["app_link"] == "ready_line")
        #expect(s["owner"] == "knox")
        #expect(s["kind"] == "pyspark")
        #expect(s["cost_basis"] == "yarn")
        #expect(abs((s["cost_usd"] as Double) - 1.83786) < 1e-9)
        #expect(abs((s["idle_cost_usd"] as Double) - 1.72986) < 1e-9)
        #expect(s["activity_source"] == "request_log")
    }

    // bob (0.7): DELETE /sessions/1 at 11:00:00 (request log), Stopped and Deleted 11:00:01,
    // YARN finish 11:00:02.3. ended 11:00:01; duration 3601 s; last statement 10:10:00 → tail 3001 s.
    // cost = 3601 × (4 × 0.048 + 4 × 0.003) / 3600 = 3601 × 0.204 / 3600 = 0.20405667
    // idle cost = 3001 × 0.204 / 3600 = 0.17005667
    @Test("deleted by the user (DELETE request): not abandoned below an hour of idle")
    func userDeleted() async throws {
        let s = try await session("j-07TESTCLUSTER/bob")
        #expect(s["end_reason"] == "user_deleted")
        #expect(s["ended_at"] == "2025-03-03T11:00:01Z")
        #expect(s["duration_s"] == 3601)
        #expect(s["idle_tail_s"] == 3001)
        #expect(s["statements"] == 1)
        #expect(s["abandoned"] == 0)
        #expect(abs((s["cost_usd"] as Double) - 3601 * 0.204 / 3600) < 1e-9)
        #expect(abs((s["idle_cost_usd"] as Double) - 3001 * 0.204 / 3600) < 1e-9)
        #expect((s["end_evidence"] as String).hasPrefix("livy_request "))
    }

    @Test("secrets in a session's conf are stored as *** and appear nowhere in the database")
    func redactsSecrets() async throws {
        let scenario = try await Self.shared.value
        let conf = try await DatabaseQueue(path: scenario.database).read { db in
            try String.fetchOne(db, sql: "SELECT conf FROM livy_event WHERE event = 'create' AND proxy_user = 'bob'")
        }
        #expect(conf == #"{"spark.hadoop.fs.s3a.secret.key":"***","spark.app.token":"***","spark.executor.instances":"3","spark.jars.packages":"org.a:b:1.0,org.c:d:2.0"}"#)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scenario.database))
        #expect(bytes.range(of: Data("AKIAREALSECRET".utf8)) == nil)
        #expect(bytes.range(of: Data("t0k3n".utf8)) == nil)
    }

    // carol (0.7): the admin `hadoop` kills the app at 13:00:00 (audit), finish 13:00:00.2;
    // Livy 0.7 purges the dead session at 13:10:30 with the words "inactive for more than"
    // — not an idle timeout, the session had already finished.
    // ended 13:00:00; duration 3600 s; tail from ready 12:00:35 = 3565 s.
    // cost = 7200/3600 × 0.048 + 7372800/1024/3600 × 0.003 = 0.096 + 0.006 = 0.102
    @Test("a killed app whose later purge line says 'inactive' (0.7) is app_killed, naming who")
    func appKilled07() async throws {
        let s = try await session("j-07TESTCLUSTER/carol")
        #expect(s["end_reason"] == "app_killed")
        #expect(s["ended_at"] == "2025-03-03T13:00:00Z")
        #expect(s["duration_s"] == 3600)
        #expect(s["idle_tail_s"] == 3565)
        #expect(s["statements"] == 0)  // the 400 POST after the kill is not activity
        #expect((s["end_evidence"] as String).hasSuffix("killed by hadoop"))
        #expect(abs((s["cost_usd"] as Double) - 0.102) < 1e-9)
    }

    // dave (0.7): "No YARN application is found with tag livy-session-3-…" at 14:02:00, in the
    // stack trace under an ERROR line. Never ready; dead from 14:02:00 → 120 s; nothing to price.
    @Test("never ready (no YARN application found): start_failed, no cost")
    func startFailed() async throws {
        let s = try await session("j-07TESTCLUSTER/dave")
        #expect(s["end_reason"] == "start_failed")
        #expect(s["ready_at"] == nil as String?)
        #expect(s["ended_at"] == "2025-03-03T14:02:00Z")
        #expect(s["duration_s"] == 120)
        #expect(s["cost_basis"] == "none")
        #expect(s["cost_usd"] == nil as Double?)
    }

    // erin (0.7): created 15:00:00, ready 15:00:30; the server restarts (first start-up line of
    // the new run at 18:00:01, no recovery). No YARN summary for her app → priced from the
    // request: driver 1 core 2g + 2 executors × (2 cores, 4g) = 5 vCPU, 10 GiB.
    // duration 18:00:01 − 15:00:00 = 10801 s; tail 18:00:01 − 15:00:30 = 10771 s.
    // cost = 10801/3600 × (5 × 0.048 + 10 × 0.003) = 10801 × 0.27 / 3600 = 0.810075
    // idle cost = 10771 × 0.27 / 3600 = 0.807825
    @Test("a server restart ends the sessions of the old run; no YARN summary → requested resources")
    func serverRestartAndRequestedCost() async throws {
        let s = try await session("j-07TESTCLUSTER/erin")
        #expect(s["end_reason"] == "server_restart")
        #expect(s["ended_at"] == "2025-03-03T18:00:01Z")
        #expect(s["duration_s"] == 10801)
        #expect(s["idle_tail_s"] == 10771)
        #expect(s["cost_basis"] == "requested")
        #expect(s["requested_vcores"] == 5)
        #expect(s["requested_memory_mb"] == 10240)
        #expect(s["queue"] == "analytics")
        #expect(abs((s["cost_usd"] as Double) - 0.810075) < 1e-9)
        #expect(abs((s["idle_cost_usd"] as Double) - 0.807825) < 1e-9)
    }

    // frank (0.7, second run, id 0 again): created 18:05:00, statement 18:10:00, no end.
    // as_of = the latest event of the cluster: the RM line at 20:00:00.
    // duration 6900 s, tail 6600 s; requested defaults: 1 + 2 × 1 vCPU, 1 + 2 × 1 GiB.
    // cost = 6900/3600 × (3 × 0.048 + 3 × 0.003) = 6900 × 0.153 / 3600 = 0.29325; idle = 6600 × 0.153 / 3600 = 0.2805
    @Test("still running at as_of; the reused id 0 gets only its own run's statements")
    func stillRunning() async throws {
        let s = try await session("j-07TESTCLUSTER/frank")
        #expect(s["session_key"] == "j-07TESTCLUSTER/2025-03-03T18:00:02Z/0")
        #expect(s["end_reason"] == "still_running")
        #expect(s["ended_at"] == nil as String?)
        #expect(s["statements"] == 1)
        #expect(s["duration_s"] == 6900)
        #expect(s["idle_tail_s"] == 6600)
        #expect(s["abandoned"] == 1)
        #expect(abs((s["cost_usd"] as Double) - 0.29325) < 1e-9)
        #expect(abs((s["idle_cost_usd"] as Double) - 0.2805) < 1e-9)
    }

    // gina (0.9, EST logs): created 09:00:00 EST = 14:00:00Z; ready with `appid: null`; the
    // app is found by its lower-case tag livy-session-0-x9y8z7w6 (its name is custom).
    // Statements 14:10 and 14:30 (GMT request log). "inactive for more than 0.0036 secs" at
    // 15:30:00Z, Stopped/Deleted 15:30:01Z. duration 5401 s; tail 3601 s (≥ 3600: abandoned).
    // cost = 5401 × (2 × 0.048 + 2 × 0.003) / 3600 = 5401 × 0.102 / 3600; idle = 3601 × 0.102 / 3600
    @Test("idle timeout (0.9 number format), local time zone, app linked by tag")
    func idleTimeout09() async throws {
        let s = try await session("j-09TESTCLUSTER/gina")
        #expect(s["end_reason"] == "idle_timeout")
        #expect(s["created_at"] == "2025-03-04T14:00:00Z")
        #expect(s["ended_at"] == "2025-03-04T15:30:01Z")
        #expect(s["last_activity_at"] == "2025-03-04T14:30:00Z")
        #expect(s["statements"] == 2)
        #expect(s["duration_s"] == 5401)
        #expect(s["idle_tail_s"] == 3601)
        #expect(s["abandoned"] == 1)
        #expect(s["app_id"] == "application_1741100000000_0001")
        #expect(s["app_link"] == "tag")
        #expect(s["owner"] == nil as String?)  // `owner: null`: no authentication on that Livy
        #expect(abs((s["cost_usd"] as Double) - 5401 * 0.102 / 3600) < 1e-9)
        #expect(abs((s["idle_cost_usd"] as Double) - 3601 * 0.102 / 3600) < 1e-9)
    }

    // hank (0.9): "Session 1 expired" at 16:00:00Z; duration 14:05:00 → 16:00:01 = 6901 s;
    // tail from the statement at 14:06:00 = 6841 s.
    @Test("heartbeat expiry (0.9)")
    func heartbeatExpired() async throws {
        let s = try await session("j-09TESTCLUSTER/hank")
        #expect(s["end_reason"] == "heartbeat_expired")
        #expect(s["ended_at"] == "2025-03-04T16:00:01Z")
        #expect(s["duration_s"] == 6901)
        #expect(s["idle_tail_s"] == 6841)
        #expect(abs((s["cost_usd"] as Double) - 6901 * 0.051 / 3600) < 1e-9)
    }

    // ivy (0.9): the app FAILED at 15:20:00Z; 0.9 purges with "finished before 600.0 secs" at
    // 15:30:30Z. ended 15:20:00; duration 1200 s; tail from ready 15:00:30 = 1170 s.
    // cost = 2400/3600 × 0.048 + 4915200/1024/3600 × 0.003 = 0.032 + 0.004 = 0.036
    @Test("a failed app purged by 0.9 is app_killed")
    func appFailed09() async throws {
        let s = try await session("j-09TESTCLUSTER/ivy")
        #expect(s["end_reason"] == "app_killed")
        #expect(s["ended_at"] == "2025-03-04T15:20:00Z")
        #expect(s["duration_s"] == 1200)
        #expect(s["idle_tail_s"] == 1170)
        #expect(abs((s["cost_usd"] as Double) - 0.036) < 1e-9)
        #expect(abs((s["idle_cost_usd"] as Double) - 0.0351) < 1e-9)
    }

    // jack (0.9): the app FINISHED by itself at 16:05:00Z, before Livy purged the session.
    @Test("an app that finished on its own before Livy deleted the session is app_finished")
    func appFinished() async throws {
        let s = try await session("j-09TESTCLUSTER/jack")
        #expect(s["end_reason"] == "app_finished")
        #expect(s["ended_at"] == "2025-03-04T16:05:00Z")
        #expect(s["duration_s"] == 300)
        #expect(s["idle_tail_s"] == 240)
    }

    @Test("ResourceManager audit lines name who submitted and killed which app")
    func storesAuditLines() async throws {
        let scenario = try await Self.shared.value
        let kills = try await DatabaseQueue(path: scenario.database).read { db in
            try Row.fetchAll(db, sql: "SELECT at, user, ip, app_id FROM yarn_audit WHERE operation = 'Kill Application Request'").map {
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
        let rows = try await DatabaseQueue(path: scenario.database).read { db in try Row.fetchAll(db, sql: sql) }
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
