import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerScenarios
import LedgerStore
import LedgerTestSupport
import Testing

@testable import LedgerDerive

/// EMR 7.x ships Livy 0.8 (formats.md §1): its lines, and what they do and do not prove.
///
/// Every expectation below is worked out by hand from the lines in its test.
@Suite("Livy 0.8 and the purges of finished sessions")
struct LivyDialectTests {
    static let node = "logs/j-EDGECLUSTER1/node/i-0c0c0c0c0c0c0c0c3/applications/"

    static func create08(_ t: String, _ id: Int, _ user: String, ttl: String? = nil) -> String {
        "25/03/05 \(t) INFO InteractiveSession$: Creating Interactive session \(id): [owner: null, request: [kind: pyspark, proxyUser: Some(\(user)), heartbeatTimeoutInSecond: 0, \(ttl.map { "ttl: \($0)" } ?? "")]]"
    }

    static func ready(_ t: String, _ id: Int, _ user: String, app: String = "null") -> String {
        "25/03/05 \(t) INFO InteractiveSession: Interactive session \(id) created [appid: \(app), owner: null, proxyUser: Some(\(user)), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]"
    }

    static func statement(_ t: String, _ id: Int) -> String {
        "10.0.0.5 - - [05/Mar/2025:\(t) +0000] \"POST /sessions/\(id)/statements HTTP/1.1\" 201 57"
    }

    // No YARN summary in the data. Session 0: last activity 09:10:00 (a statement); Livy 0.8's
    // "inactive" line at 09:40:30, 1830 s later, prints 28.8 (ms / 1e6: 28,800,000 ms = 8 h).
    // A real timeout comes at least 8 h after the last activity, so this is the purge of a
    // session that had already finished: app_finished, ended at the Deleted line 09:40:31;
    // duration 09:00:00 → 09:40:31 = 2431 s, idle tail 09:10:00 → 09:40:31 = 1831 s.
    // Session 1: the same words at 17:10:25, 8 h 0 min 25 s after its 09:10:00 statement: a real
    // idle timeout, ended 17:10:26; duration 09:00:40 → 17:10:26 = 29386 s, tail 28826 s.
    // How this was seen to fail: before, session 0 was idle_timeout.
    @Test(
        "0.8: the idle-timeout words well before the timeout are the purge of a finished session, not an idle timeout")
    func purgeIsNotIdleTimeout() async throws {
        let (dir, rows) = try await ingestFiles([
            Self.node + "livy/livy-livy-server.out": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            \(Self.create08("09:00:00", 0, "ada"))
            \(Self.ready("09:00:30", 0, "ada", app: "application_1741150000000_0001"))
            \(Self.create08("09:00:40", 1, "bo"))
            \(Self.ready("09:01:10", 1, "bo", app: "application_1741150000000_0002"))
            25/03/05 09:40:30 INFO InteractiveSessionManager: Deleting InteractiveSession 0 because it was inactive for more than 28.8 ms.
            25/03/05 09:40:30 INFO InteractiveSessionManager: Deleting session 0
            25/03/05 09:40:31 INFO InteractiveSessionManager: Deleted session 0
            25/03/05 17:10:25 INFO InteractiveSessionManager: Deleting InteractiveSession 1 because it was inactive for more than 28.8 ms.
            25/03/05 17:10:25 INFO InteractiveSessionManager: Deleting session 1
            25/03/05 17:10:26 INFO InteractiveSessionManager: Deleted session 1
            """,
            Self.node + "livy/2025_03_05.request.log": """
            \(Self.statement("09:10:00", 0))
            \(Self.statement("09:10:00", 1))
            """,
        ])
        defer { dir.remove() }
        let s0 = try #require(rows.first { $0["proxy_user"] == "ada" })
        #expect(s0["end_reason"] == "app_finished")
        #expect(s0["ended_at"] == "2025-03-05T09:40:31Z")
        #expect(s0["duration_s"] == 2431)
        #expect(s0["idle_tail_s"] == 1831)
        let s1 = try #require(rows.first { $0["proxy_user"] == "bo" })
        #expect(s1["end_reason"] == "idle_timeout")
        #expect(s1["ended_at"] == "2025-03-05T17:10:26Z")
        #expect(s1["duration_s"] == 29386)
        #expect(s1["idle_tail_s"] == 28826)
    }

    // The session's own ttl (0.8 `ttl: 1h` in its create request) is the timeout Livy applied,
    // not the global one the line prints (28.8 = 8 h): the line at 10:10:40 comes 3640 s after
    // the 09:10:00 statement, past the hour: idle_timeout. How this was seen to fail: with the
    // ttl not read, 3640 s < 8 h made it a purge (app_finished).
    @Test("0.8: a session's own ttl is the timeout its idle line is measured against")
    func ownTTL() async throws {
        let (dir, rows) = try await ingestFiles([
            Self.node + "livy/livy-livy-server.out": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            \(Self.create08("09:00:00", 0, "ada", ttl: "1h"))
            \(Self.ready("09:00:30", 0, "ada"))
            25/03/05 10:10:40 INFO InteractiveSessionManager: Deleting InteractiveSession 0 because it was inactive for more than 28.8 ms.
            25/03/05 10:10:40 INFO InteractiveSessionManager: Deleting session 0
            25/03/05 10:10:41 INFO InteractiveSessionManager: Deleted session 0
            """,
            Self.node + "livy/2025_03_05.request.log": Self.statement("09:10:00", 0),
        ])
        defer { dir.remove() }
        #expect(rows.map { $0["end_reason"] as String } == ["idle_timeout"])
    }

    // A line whose number no dialect we know prints ("30 minutes"): the timeout is the
    // configured `livy_session_timeout` (30 min), and the line at 09:20:00, 600 s after the
    // 09:10:00 statement, is sooner than that: the purge of a finished session (app_finished).
    // Without the setting no timeout is known, and the words are taken at their word
    // (idle_timeout). A line whose number can be read is measured against it, setting or not:
    // the server printed its own timeout.
    @Test("a configured livy_session_timeout is the timeout when the idle line's number cannot be read")
    func configuredTimeout() async throws {
        func files(_ words: String) -> [String: String] {
            [
                Self.node + "livy/livy-livy-server.out": """
                25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
                \(Self.create08("09:00:00", 0, "ada"))
                \(Self.ready("09:00:30", 0, "ada"))
                25/03/05 09:20:00 INFO InteractiveSessionManager: Deleting InteractiveSession 0 because it was inactive for more than \(words).
                25/03/05 09:20:00 INFO InteractiveSessionManager: Deleting session 0
                25/03/05 09:20:01 INFO InteractiveSessionManager: Deleted session 0
                """,
                Self.node + "livy/2025_03_05.request.log": Self.statement("09:10:00", 0),
            ]
        }
        let config = "[thresholds]\nlivy_session_timeout = \"30m\"\n"
        for (words, withConfig, want) in [
            ("30 minutes", true, "app_finished"), ("30 minutes", false, "idle_timeout"),
            // 0.8's 28.8 is 8 h; 0.8's 0.3 is 5 min, and 600 s is past it: a real timeout.
            ("28.8 ms", true, "app_finished"), ("0.3 ms", true, "idle_timeout"),
        ] {
            let (dir, rows) = try await ingestFiles(files(words), config: withConfig ? config : "")
            defer { dir.remove() }
            #expect(rows.map { $0["end_reason"] as String } == [want], "\(words), config \(withConfig)")
        }
    }

    // A batch session never times out (formats.md §1.6): Livy 0.8's "inactive" line for a batch,
    // 10 minutes after it became ready, is the purge of a finished batch, whatever the timeout.
    // No YARN summary: app_finished, ended at the Deleted line 09:20:01. How this was seen to
    // fail: with the 5-minute timeout the line printed, it was idle_timeout.
    @Test("a batch session's idle-timeout line is always the purge of a finished batch")
    func batchPurge() async throws {
        let (dir, rows) = try await ingestFiles([
            Self.node + "livy/livy-livy-server.out": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 09:00:00 INFO BatchSession$: Creating batch session 0: [owner: null, request: [proxyUser: Some(etl), file: s3://jobs/a.py, ]]
            25/03/05 09:10:00 INFO BatchSession: Batch session 0 created [appid: null, state: running, info: {driverLogUrl=null, sparkUiUrl=null}]
            25/03/05 09:20:00 INFO BatchSessionManager: Deleting BatchSession 0 because it was inactive for more than 0.3 ms.
            25/03/05 09:20:00 INFO BatchSessionManager: Deleting session 0
            25/03/05 09:20:01 INFO BatchSessionManager: Deleted session 0
            """
        ])
        defer { dir.remove() }
        #expect(
            rows.map { "\($0["end_reason"] as String) \($0["ended_at"] as String)" } == [
                "app_finished 2025-03-05T09:20:01Z"
            ])
    }

    // Livy 0.9 words the purge of a finished session apart: "finished before 600.0 secs". No
    // YARN summary, no DELETE request: the session had finished, nobody deleted it. Ended at the
    // Deleted line, 09:30:01. How this was seen to fail: it was user_deleted.
    @Test("0.9: the 'finished before' purge is not a user's deletion")
    func finishedPurge() async throws {
        let (dir, rows) = try await ingestFiles([
            Self.node + "livy/livy-livy-server.out": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: null, request: [kind: pyspark, proxyUser: Some(ada), heartbeatTimeoutInSecond: 0, ]]
            25/03/05 09:00:30 INFO InteractiveSession: Interactive session 0 created [appid: null, owner: null, proxyUser: Some(ada), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null, executorLogUrls=null}]
            25/03/05 09:30:00 INFO InteractiveSessionManager: Deleting InteractiveSession 0 because it finished before 600.0 secs.
            25/03/05 09:30:00 INFO InteractiveSessionManager: Deleting InteractiveSession 0
            25/03/05 09:30:01 INFO InteractiveSessionManager: Deleted InteractiveSession 0
            """
        ])
        defer { dir.remove() }
        let s = try #require(rows.first)
        #expect(s["end_reason"] == "app_finished")
        #expect(s["ended_at"] == "2025-03-05T09:30:01Z")
    }

    // 0.8: interactive session 0 and batch session 0 live side by side (their ids are counted
    // apart). The batch manager deletes its session 0 at 09:30:00 ("Deleting session 0", its
    // logger says batch): the batch ends then (user_deleted: a delete with no reason line); the
    // interactive session 0 runs on to the end of the data (as_of 09:30:00): still_running,
    // 1800 s. How this was seen to fail: the untyped delete ended the interactive session.
    @Test("0.8: the batch manager's 'Deleting session N' never ends the interactive session N")
    func batchDeleteKeepsInteractive() async throws {
        let (dir, rows) = try await ingestFiles([
            Self.node + "livy/livy-livy-server.out": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            \(Self.create08("09:00:00", 0, "ada"))
            \(Self.ready("09:00:30", 0, "ada"))
            25/03/05 09:05:00 INFO BatchSession$: Creating batch session 0: [owner: null, request: [proxyUser: Some(etl), file: s3://jobs/a.py]]
            25/03/05 09:05:20 INFO BatchSession: Batch session 0 created [appid: null, state: running, info: {driverLogUrl=null, sparkUiUrl=null}]
            25/03/05 09:30:00 INFO BatchSessionManager: Deleting session 0
            25/03/05 09:30:00 INFO BatchSessionManager: Deleted session 0
            """
        ])
        defer { dir.remove() }
        #expect(
            rows.map {
                "\($0["session_type"] as String) \($0["end_reason"] as String) \($0["ended_at"] as String? ?? "-") \($0["duration_s"] as Int)"
            } == [
                "interactive still_running - 1800",
                "batch user_deleted 2025-03-05T09:30:00Z 1500",
            ])
    }

    // The app's YARN state is FINISHED but its final status FAILED (the driver failed), at
    // 1741165200000 ms = 09:00:00Z + 20 min = 09:20:00Z, before Livy deleted the session at
    // 09:30: not app_finished but app_killed (SPEC rule 5: killed or failed), ended 09:20:00.
    @Test("an app whose YARN final status is FAILED is app_killed, not app_finished")
    func failedApp() async throws {
        let (dir, rows) = try await ingestFiles([
            Self.node + "livy/livy-livy-server.out": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            \(Self.create08("09:00:00", 0, "ada"))
            \(Self.ready("09:00:30", 0, "ada", app: "application_1741150000000_0001"))
            25/03/05 09:30:00 INFO InteractiveSessionManager: Deleting session 0
            25/03/05 09:30:00 INFO InteractiveSessionManager: Deleted session 0
            """,
            Self.node + "hadoop-yarn/yarn-yarn-resourcemanager-h.log": """
            2025-03-05 09:20:00,500 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1741150000000_0001,name=livy-session-0,user=ada,queue=default,state=FINISHED,trackingUrl=N/A,appMasterHost=N/A,submitTime=1741165203000,startTime=1741165204000,finishTime=1741166400000,finalStatus=FAILED,memorySeconds=3686400,vcoreSeconds=3600,applicationType=SPARK
            """,
        ])
        defer { dir.remove() }
        let s = try #require(rows.first)
        #expect(s["end_reason"] == "app_killed")
        #expect(s["ended_at"] == "2025-03-05T09:20:00Z")
    }

    // A graceful shutdown without recovery: "Shutting down Livy server." at 10:00:00, then Livy
    // stops the session (its Stopping/Stopped lines), and YARN records its app KILLED by livy at
    // 10:00:01.2 (1741168801200 ms). The next server starts at 10:05:02. The app was killed by
    // the server going away: server_restart, ended at the shutdown line, 10:00:00.
    // How this was seen to fail: it was app_killed.
    @Test("Livy's own kill of its apps at a shutdown without recovery is server_restart")
    func shutdownKill() async throws {
        let (dir, rows) = try await ingestFiles([
            Self.node + "livy/livy-livy-server.out.1": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            \(Self.create08("09:00:00", 0, "ada"))
            \(Self.ready("09:00:30", 0, "ada", app: "application_1741150000000_0001"))
            25/03/05 10:00:00 INFO LivyServer: Shutting down Livy server.
            25/03/05 10:00:00 INFO InteractiveSession: Stopping InteractiveSession 0...
            25/03/05 10:00:01 INFO InteractiveSession: Stopped InteractiveSession 0.
            """,
            Self.node + "livy/livy-livy-server.out": """
            25/03/05 10:05:00 INFO InteractiveSessionManager: Recovered 0 interactive sessions. Next session id: 0
            25/03/05 10:05:02 INFO WebServer: Starting server on http://h:8998
            """,
            Self.node + "hadoop-yarn/yarn-yarn-resourcemanager-h.log": """
            2025-03-05 10:00:01,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger: USER=livy\tIP=10.0.0.1\tOPERATION=Kill Application Request\tTARGET=ClientRMService\tRESULT=SUCCESS\tAPPID=application_1741150000000_0001
            2025-03-05 10:00:01,900 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1741150000000_0001,name=livy-session-0,user=ada,queue=default,state=KILLED,trackingUrl=N/A,appMasterHost=N/A,submitTime=1741165203000,startTime=1741165204000,finishTime=1741168801200,finalStatus=KILLED,memorySeconds=3686400,vcoreSeconds=3600,applicationType=SPARK
            """,
        ])
        defer { dir.remove() }
        let s = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(s["end_reason"] == "server_restart")
        #expect(s["ended_at"] == "2025-03-05T10:00:00Z")
    }

    @Test(
        "the idle timeout an idle line prints, decoded by dialect",
        arguments: [
            ("3600000.0 ms", 3600), ("2.88E7 ms", 28800),  // 0.6/0.7: milliseconds
            ("3.6 ms", 3600), ("28.8 ms", 28800),  // 0.8: ms / 1e6
            ("0.0036 secs", 3600), ("0.0288 secs", 28800),  // 0.9: ms / 1e9
            ("28800.0 secs", 28800),  // seconds, printed right
        ] as [(String, Int64)])
    func decodesPrintedTimeout(printed: String, seconds: Int64) {
        #expect(SessionDeriver.livyTimeoutSeconds(printed) == seconds)
    }

    @Test("Livy duration settings (ttl, idleTimeout) in seconds")
    func readsDurations() {
        #expect(SessionDeriver.livyDurationSeconds("1h") == 3600)
        #expect(SessionDeriver.livyDurationSeconds("30m") == 1800)
        #expect(SessionDeriver.livyDurationSeconds("45min") == 2700)
        #expect(SessionDeriver.livyDurationSeconds("90s") == 90)
        #expect(SessionDeriver.livyDurationSeconds("2d") == 172_800)
        #expect(SessionDeriver.livyDurationSeconds("120000") == 120)  // a bare number is milliseconds
        #expect(SessionDeriver.livyDurationSeconds("soon") == nil)
        #expect(SessionDeriver.livyTimeoutSeconds("600.0") == nil)
    }
}

/// User background sessions are a thing of Livy interactive sessions (SPEC §4): a batch job
/// runs on after its owner signs out by design.
@Suite("Batch sessions are not interactive")
struct BatchSessionTests {
    // Cluster j-BATCHCLUSTER1 (emr-6.15.0: policy interactive). alice signs in 08:00 and logs
    // out 10:00. Her interactive session 0 and batch session 0 both run 09:00:00 → 12:00:00
    // (10800 s). The interactive one: interactive 3600 s (09:00–10:00), background 7200 s,
    // unexpected_background. The batch: no interactive or background time, no observed mode, no
    // background cost, no idle tail, no finding; priced as requested: driver 1 core (default)
    // + 2 executors × 1 core = 3 vCPU, 1 GiB + 2 × 1 GiB = 3 GiB, for 3 h:
    // 3 × 3 × 0.048 + 3 × 3 × 0.003 = 0.432 + 0.027 = 0.459.
    // How this was seen to fail: the batch had background_s 7200 and an unexpected_background finding.
    @Test("a batch session gets no background time, idle cost or unexpected_background finding")
    func batchHasNoBackground() async throws {
        let node = "logs/j-BATCHCLUSTER1/node/i-0c0c0c0c0c0c0c0c3/applications/livy/livy-livy-server.out"
        let event = { (id: String, time: String, source: String, name: String, identity: String, more: String) in
            #"{"eventVersion":"1.11","userIdentity":\#(identity),"eventTime":"2025-11-24T\#(time)Z","eventSource":"\#(source)","eventName":"\#(name)","awsRegion":"us-east-1","eventID":"\#(id)","recipientAccountId":"111122223333"\#(more)}"#
        }
        let alice =
            #"{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-alice","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-1"}}"#
        let admin = #"{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/ops"}"#
        let trail =
            "{\"Records\":["
            + [
                event(
                    "r1", "07:00:00", "elasticmapreduce.amazonaws.com", "RunJobFlow", admin,
                    #","requestParameters":{"name":"b","releaseLabel":"emr-6.15.0","serviceRole":"EMR_DefaultRole","jobFlowRole":"EMR_EC2_DefaultRole"},"responseElements":{"jobFlowId":"j-BATCHCLUSTER1"}"#
                ),
                event(
                    "in", "08:00:00", "signin.amazonaws.com", "UserAuthentication", alice,
                    #","additionalEventData":{"UserName":"alice"},"serviceEventDetails":{"UserAuthentication":"Success"}"#
                ),
                event("out", "10:00:00", "sso.amazonaws.com", "Logout", alice, ""),
            ].joined(separator: ",") + "]}"
        let (dir, rows) = try await ingestFiles(
            [
                node: """
                25/11/24 07:30:00 INFO WebServer: Starting server on http://h:8998
                25/11/24 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: null, request: [kind: pyspark, proxyUser: Some(alice), heartbeatTimeoutInSecond: 0, ]]
                25/11/24 09:00:00 INFO BatchSession$: Creating batch session 0: [owner: null, request: [proxyUser: Some(alice), file: s3://jobs/etl.py, driverMemory: 1g, numExecutors: 2]]
                25/11/24 09:00:20 INFO BatchSession: Batch session 0 created [appid: null, state: running, info: {driverLogUrl=null, sparkUiUrl=null}]
                25/11/24 09:00:30 INFO InteractiveSession: Interactive session 0 created [appid: null, owner: null, proxyUser: Some(alice), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]
                25/11/24 12:00:00 INFO InteractiveSessionManager: Deleting session 0
                25/11/24 12:00:00 INFO InteractiveSessionManager: Deleted session 0
                25/11/24 12:00:00 INFO BatchSessionManager: Deleting session 0
                25/11/24 12:00:00 INFO BatchSessionManager: Deleted session 0
                """,
                "logs/AWSLogs/111122223333/CloudTrail/us-east-1/2025/11/24/111122223333_CloudTrail_us-east-1_20251124T1205Z_abcdefghijklmnop.json":
                    trail,
                "identities.csv": "userId,userName,email,costCenter\nu-alice,alice,alice@example.com,CC-1\n",
            ], config: "[identities]\nfile = \"identities.csv\"\n")
        defer { dir.remove() }
        let interactive = try #require(rows.first { $0["session_type"] == "interactive" })
        #expect(interactive["duration_s"] == 10800)
        #expect(interactive["interactive_s"] == 3600)
        #expect(interactive["background_s"] == 7200)
        #expect(interactive["mode_policy"] == "interactive")
        let batch = try #require(rows.first { $0["session_type"] == "batch" })
        #expect(batch["duration_s"] == 10800)
        #expect(batch["interactive_s"] == nil as Int?)
        #expect(batch["background_s"] == nil as Int?)
        #expect(batch["mode_observed"] == nil as String?)
        #expect(batch["background_cost_usd"] == nil as Double?)
        #expect(batch["idle_tail_s"] == 0)
        #expect(batch["idle_cost_usd"] == 0.0)
        #expect(abs((batch["cost_usd"] as Double) - 0.459) < 1e-9)
        let findings = try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            try String.fetchAll(
                db, sql: "SELECT code || ' ' || subject FROM finding WHERE code = 'unexpected_background'")
        }
        #expect(findings == ["unexpected_background " + (interactive["session_key"] as String)])
    }
}
