import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerScenarios
import LedgerStore
import LedgerTestSupport
import Testing

@Suite("Sessions: recovery, batches, no request log")
struct SessionEdgeTests {
    // Run 1 starts 08:00:02, session 0 created 09:00:00, ready 09:00:30. The server restarts at
    // 10:00:01 and recovers 1 session: session 0 lives on under its first identity, and its
    // deletion at 11:00:00 (DELETE request, Deleted line) ends it.
    @Test("a session recovered across a restart keeps its identity and is not ended by the restart")
    func recoveredSessionContinues() async throws {
        let (dir, rows) = try await ingestCluster([
            "livy/livy-livy-server.out.1": """
            25/03/05 08:00:01 INFO InteractiveSessionManager: Recovered 0 interactive sessions. Next session id: 0
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(lena), heartbeatTimeoutInSecond: 0]]
            25/03/05 09:00:30 INFO InteractiveSession: Interactive session 0 created [appid: application_1741150000000_0001, owner: knox, proxyUser: Some(lena), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]
            """,
            "livy/livy-livy-server.out": """
            25/03/05 10:00:01 INFO InteractiveSessionManager: Recovered 1 interactive sessions. Next session id: 1
            25/03/05 10:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 11:00:00 INFO InteractiveSessionManager: Deleting session 0
            25/03/05 11:00:00 INFO InteractiveSessionManager: Deleted session 0
            25/03/05 12:00:00 INFO InteractiveSession$: Creating Interactive session 1: [owner: knox, request: [kind: pyspark, proxyUser: Some(max), heartbeatTimeoutInSecond: 0]]
            """,
            "livy/2025_03_05.request.log": """
            10.0.0.5 - - [05/Mar/2025:09:20:00 +0000] "POST /sessions/0/statements HTTP/1.1" 201 57
            10.0.0.5 - - [05/Mar/2025:10:30:00 +0000] "POST /sessions/0/statements HTTP/1.1" 201 57
            10.0.0.5 - - [05/Mar/2025:11:00:00 +0000] "DELETE /sessions/0 HTTP/1.1" 200 17
            """,
        ])
        defer { dir.remove() }
        #expect(rows.count == 2)
        let lena = try #require(rows.first { $0["proxy_user"] == "lena" })
        #expect(lena["session_key"] == "j-EDGECLUSTER1/2025-03-05T08:00:02Z/0")
        #expect(lena["end_reason"] == "user_deleted")
        #expect(lena["ended_at"] == "2025-03-05T11:00:00Z")
        #expect(lena["statements"] == 2)  // one before, one after the restart
        #expect(lena["last_activity_at"] == "2025-03-05T10:30:00Z")
        #expect(lena["duration_s"] == 7200)
        #expect(lena["idle_tail_s"] == 1800)
        // max: created 12:00:00 in the second run, never ready, no end by as_of (12:00:00).
        let max = try #require(rows.first { $0["proxy_user"] == "max" })
        #expect(max["session_key"] == "j-EDGECLUSTER1/2025-03-05T10:00:02Z/1")
        #expect(max["end_reason"] == "still_running")
        #expect(max["duration_s"] == 0)
    }

    // Batch 0: created 08:10:00, running 08:10:20; its app finished 08:40:00.5 (FINISHED).
    // 1800 s, never idle. No request log: activity from the ready line.
    @Test("a batch session is listed and costed but never idle; without a request log activity is the ready time")
    func batchSession() async throws {
        let (dir, rows) = try await ingestCluster([
            "livy/livy-livy-server.out": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 08:10:00 INFO BatchSession$: Creating batch session 0: [owner: null, request: [proxyUser: Some(etl), file: s3://jobs/daily.py, args: a,b, driverMemory: 1g, numExecutors: 2, conf: spark.app.secret -> x]]
            25/03/05 08:10:20 INFO BatchSession: Batch session 0 created [appid: application_1741150000000_0007, state: running, info: {driverLogUrl=null, sparkUiUrl=null}]
            """,
            "hadoop-yarn/yarn-yarn-resourcemanager-h.log": """
            2025-03-05 08:40:00,900 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1741150000000_0007,name=daily.py,user=etl,queue=default,state=FINISHED,trackingUrl=N/A,appMasterHost=N/A,submitTime=1741162201000,startTime=1741162201100,finishTime=1741164000500,finalStatus=SUCCEEDED,memorySeconds=5529600,vcoreSeconds=5400,applicationType=SPARK,applicationTags=livy-batch-0-abcdefgh
            """,
        ])
        defer { dir.remove() }
        let b = try #require(rows.first)
        #expect(b["session_key"] == "j-EDGECLUSTER1/2025-03-05T08:00:02Z/batch-0")
        #expect(b["session_type"] == "batch")
        #expect(b["end_reason"] == "app_finished")
        // finishTime 1741164000500 ms = 08:40:00.5Z (Python datetime), to the second.
        #expect(b["ended_at"] == "2025-03-05T08:40:00Z")
        #expect(b["duration_s"] == 1800)
        #expect(b["idle_tail_s"] == 0)
        #expect(b["abandoned"] == 0)
        #expect(b["activity_source"] == "none")
        // 5400/3600 × 0.048 + 5529600/1024/3600 × 0.003 = 0.072 + 0.0045 = 0.0765
        #expect(abs((b["cost_usd"] as Double) - 0.0765) < 1e-9)
        #expect(b["idle_cost_usd"] == 0.0)
    }
}

@Suite("Sessions: keys when the log lacks its start")
struct SessionKeyTests {
    // A log that begins after the server started (its start line rotated away): the sessions'
    // run is "start-unknown". Session 0 is created twice in it (the restart between was lost
    // too): one identity each, the second marked #2. A batch 0 has a key of its own.
    // How this was seen to fail: without the #2 the second session 0 broke the key's
    // uniqueness and the ingest stopped; with "unknown" for the missing start, the keys differed.
    @Test("sessions of a run with no start line, and an id created twice, keep distinct keys")
    func keysWithoutStart() async throws {
        let (dir, rows) = try await ingestCluster([
            "livy/livy-livy-server.out": """
            25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(ada), heartbeatTimeoutInSecond: 0]]
            25/03/05 09:05:00 INFO BatchSession$: Creating batch session 0: [owner: knox, request: [proxyUser: Some(etl), file: s3://jobs/a.py]]
            25/03/05 09:10:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(bea), heartbeatTimeoutInSecond: 0]]
            """
        ])
        defer { dir.remove() }
        #expect(
            rows.map { "\($0["session_key"] as String) \($0["proxy_user"] as String)" } == [
                "j-EDGECLUSTER1/start-unknown/0 ada",
                "j-EDGECLUSTER1/start-unknown/0#2 bea",
                "j-EDGECLUSTER1/start-unknown/batch-0 etl",
            ])
    }
}

@Suite("Sessions: activity from saved REST answers")
struct RestActivityTests {
    // Session 0 created 09:00:00, ready 09:00:30, no request log. Its saved statements answer:
    // statement 0 started 1741165500000 = 09:05:00Z, completed 1741165560000 = 09:06:00Z;
    // statement 1 started 1741167000000 = 09:30:00Z, completed 1741167900000 = 09:45:00Z
    // (Python datetime). The session is deleted at 10:00:00.
    // last activity = 09:45:00 (the last completion); tail = 10:00:00 − 09:45:00 = 900 s.
    @Test("statement completion times from a REST snapshot date the last activity")
    func restStatementsAreActivity() async throws {
        let (dir, rows) = try await ingestCluster([
            "livy/livy-livy-server.out": """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(nina), heartbeatTimeoutInSecond: 0]]
            25/03/05 09:00:30 INFO InteractiveSession: Interactive session 0 created [appid: null, owner: knox, proxyUser: Some(nina), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]
            25/03/05 10:00:00 INFO InteractiveSessionManager: Deleting session 0
            25/03/05 10:00:00 INFO InteractiveSessionManager: Deleted session 0
            """,
            "livy/rest/sessions-0-statements.json": """
            {"total_statements":2,"statements":[{"id":0,"code":"1+1","state":"available","output":null,"progress":1.0,"started":1741165500000,"completed":1741165560000},{"id":1,"code":"df.count()","state":"available","output":null,"progress":1.0,"started":1741167000000,"completed":1741167900000}]}
            """,
        ])
        defer { dir.remove() }
        let s = try #require(rows.first)
        #expect(s["activity_source"] == "rest")
        #expect(s["statements"] == 2)
        #expect(s["last_activity_at"] == "2025-03-05T09:45:00Z")
        #expect(s["idle_tail_s"] == 900)
        #expect(s["end_reason"] == "user_deleted")  // a delete line with no reason line before it
    }
}

@Suite("Sessions: logs outside the EMR layout")
struct UnknownClusterTests {
    @Test("Livy logs with no cluster id in their path still give sessions, under the cluster 'unknown'")
    func rebuildsSessionsWithoutCluster() async throws {
        let dir = try TemporaryDirectory("ledger-nocluster")
        defer { dir.remove() }
        try dir.write(
            "livy/livy-livy-server.out",
            """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(olga), heartbeatTimeoutInSecond: 0]]
            25/03/05 09:30:00 INFO InteractiveSessionManager: Deleting session 0
            25/03/05 09:30:00 INFO InteractiveSessionManager: Deleted session 0
            """)
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: Configuration()).ingest([
            Configuration.Input(path: dir.path + "/livy")
        ])
        let key = try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            try String.fetchOne(db, sql: "SELECT session_key || ' ' || end_reason FROM session")
        }
        // Never ready, deleted: start_failed.
        #expect(key == "unknown/2025-03-05T08:00:02Z/0 start_failed")
    }

    // The Livy log is in the EMR layout (cluster j-EDGECLUSTER1); the ResourceManager's app
    // summaries were saved elsewhere, with no cluster in their path. Session 0: created 09:00:00,
    // ready 09:00:30 with appid application_1741150000000_0003. The app finished at
    // 1741168800000 ms = 10:00:00Z (2025-03-05T00:00:00Z is 1741132800 s, + 36000 s); the cluster's
    // as_of is the Livy line at 10:30:00. So: ended 10:00:00 by its app (app_finished),
    // duration 3600 s, idle tail 10:00:00 − 09:00:30 = 3570 s, priced from YARN:
    // 3600/3600 × 0.048 + 3686400/1024/3600 × 0.003 = 0.048 + 0.003 = 0.051.
    @Test("a session's app is found by the ready line's id when its summary has no cluster")
    func appFoundByIDAcrossClusters() async throws {
        let dir = try TemporaryDirectory("ledger-appelsewhere")
        defer { dir.remove() }
        try dir.write(
            "logs/j-EDGECLUSTER1/node/i-0c0c0c0c0c0c0c0c3/applications/livy/livy-livy-server.out",
            """
            25/03/05 08:00:02 INFO WebServer: Starting server on http://h:8998
            25/03/05 09:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: knox, request: [kind: pyspark, proxyUser: Some(pia), heartbeatTimeoutInSecond: 0]]
            25/03/05 09:00:30 INFO InteractiveSession: Interactive session 0 created [appid: application_1741150000000_0003, owner: knox, proxyUser: Some(pia), state: idle, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null}]
            25/03/05 10:30:00 INFO LineBufferedStream: stdout: 25/03/05 10:30:00 INFO Client: nothing to report
            """)
        try dir.write(
            "logs/onprem/rm-appsummary.log",
            """
            2025-03-05 10:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1741150000000_0003,name=livy-session-0,user=pia,queue=default,state=FINISHED,trackingUrl=N/A,appMasterHost=N/A,submitTime=1741165200000,startTime=1741165210000,finishTime=1741168800000,finalStatus=SUCCEEDED,memorySeconds=3686400,vcoreSeconds=3600,applicationType=SPARK

            """)
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: Configuration()).ingest([
            Configuration.Input(path: dir.path + "/logs")
        ])
        let (appCluster, rows) = try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            (
                try Row.fetchOne(db, sql: "SELECT cluster_id FROM yarn_app"),
                try Row.fetchAll(db, sql: "SELECT * FROM session")
            )
        }
        // The summary really is on no cluster: the session's own cluster has no apps.
        let cluster = try #require(appCluster)
        #expect(cluster["cluster_id"] == nil as String?)
        let s = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(s["cluster_id"] == "j-EDGECLUSTER1")
        #expect(s["app_id"] == "application_1741150000000_0003")
        #expect(s["app_link"] == "ready_line")
        #expect(s["end_reason"] == "app_finished")
        #expect(s["ended_at"] == "2025-03-05T10:00:00Z")
        #expect(s["duration_s"] == 3600)
        #expect(s["idle_tail_s"] == 3570)
        #expect(s["cost_basis"] == "yarn")
        #expect(s["vcore_seconds"] == 3600)
        #expect(abs((s["cost_usd"] as Double) - 0.051) < 1e-9)
    }
}
