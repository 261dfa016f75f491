import Foundation
import LedgerFormats
import LedgerModel
import LedgerTestSupport
import Testing

/// Runs a format over text lines and returns its rows of `table` as column → value.
func rows<F: LogFormat>(
    _: F.Type, _ text: String, table: String, timeZone: String = "UTC", cluster: String? = "j-TEST",
    path: String = "test", modifiedNanos: Int64? = nil
) throws -> (ParsedFile, [[String: SQLValue]]) {
    let context = ParseContext(
        path: path, input: InputContext(clusterID: cluster, timeZone: timeZone),
        clock: try LocalTimeConverter(identifier: timeZone), modifiedNanos: modifiedNanos)
    var parser = F(context: context)
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        var s = String(line)
        s.withUTF8 { parser.consume(lineNumber: i + 1, bytes: UnsafeRawBufferPointer($0)) }
    }
    let parsed = parser.finish()
    guard let batch = parsed.batches.first(where: { $0.table == table }) else { return (parsed, []) }
    return (
        parsed,
        (0..<batch.rowCount).map { i in
            var row = Dictionary(uniqueKeysWithValues: zip(batch.columns, batch.row(i)))
            row["line"] = .integer(Int64(batch.lines[i]))
            return row
        }
    )
}

@Suite("livy-server: lifecycle lines of Livy 0.5 to 0.9")
struct LivyServerFormatTests {
    func events(_ text: String) throws -> [[String: SQLValue]] {
        try rows(LivyServerFormat.self, text, table: "livy_event").1
    }

    @Test("a create line: owner, proxy user, kind, every resource field, conf with secrets redacted")
    func readsCreateLine() throws {
        let e = try events(
            "25/03/03 10:00:00 INFO InteractiveSession$: Creating Interactive session 12: [owner: knox, request: [kind: pyspark, proxyUser: Some(bob), jars: s3://b/a.jar,s3://b/b.jar, driverMemory: 2g, driverCores: 2, executorMemory: 4g, executorCores: 3, numExecutors: 5, queue: root.etl, name: nightly, conf: spark.executor.instances -> 5,fs.s3a.access.key -> AKIA0000,Spark.SSL.KeyPassword -> hunter2,spark.jars.packages -> a:b:1,c:d:2, heartbeatTimeoutInSecond: 60, ttl: 2h, ]]"
        )
        #expect(e.count == 1)
        let c = try #require(e.first)
        #expect(c["event"] == .text("create"))
        #expect(c["at"] == .text("2025-03-03T10:00:00.000Z"))
        #expect(c["session_type"] == .text("interactive"))
        #expect(c["session_id"] == .integer(12))
        #expect(c["owner"] == .text("knox"))
        #expect(c["proxy_user"] == .text("bob"))
        #expect(c["kind"] == .text("pyspark"))
        #expect(c["driver_memory"] == .text("2g"))
        #expect(c["driver_cores"] == .integer(2))
        #expect(c["executor_memory"] == .text("4g"))
        #expect(c["executor_cores"] == .integer(3))
        #expect(c["num_executors"] == .integer(5))
        #expect(c["queue"] == .text("root.etl"))
        #expect(c["name"] == .text("nightly"))
        #expect(
            c["conf"]
                == .text(
                    #"{"spark.executor.instances":"5","fs.s3a.access.key":"***","Spark.SSL.KeyPassword":"***","spark.jars.packages":"a:b:1,c:d:2"}"#
                ))
    }

    @Test("proxyUser None and owner null are absent values")
    func readsAbsentUsers() throws {
        let c = try #require(
            try events(
                "25/03/03 10:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: null, request: [kind: shared, proxyUser: None, heartbeatTimeoutInSecond: 0]]"
            ).first)
        #expect(c["owner"] == .null)
        #expect(c["proxy_user"] == .null)
        #expect(c["kind"] == .text("shared"))
    }

    @Test("ready lines give the app id (or none, for `appid: null`)")
    func readsReadyLines() throws {
        let e = try events(
            """
            25/03/03 10:00:30 INFO InteractiveSession: Interactive session 1 created [appid: application_1741000000000_0002, owner: knox, proxyUser: Some(bob), state: idle, kind: spark, info: {driverLogUrl=http://h:8042/x, sparkUiUrl=http://h:20888/y}]
            25/03/03 10:00:31 INFO InteractiveSession: Interactive session 2 created [appid: null, owner: null, proxyUser: None, state: starting, kind: pyspark, info: {driverLogUrl=null, sparkUiUrl=null, executorLogUrls=null}]
            25/03/03 10:00:32 INFO BatchSession: Batch session 0 created [appid: application_1741000000000_0009, state: running, info: {driverLogUrl=null, sparkUiUrl=null}]
            """)
        #expect(e.map { $0["event"] } == [.text("ready"), .text("ready"), .text("ready")])
        #expect(
            e.map { $0["app_id"] } == [
                .text("application_1741000000000_0002"), .null, .text("application_1741000000000_0009"),
            ])
        #expect(e.map { $0["session_type"] } == [.text("interactive"), .text("interactive"), .text("batch")])
        #expect(e[0]["proxy_user"] == .text("bob"))
        #expect(e[1]["detail"] == .text("starting"))
    }

    @Test("the idle-timeout message in every version's number format, and 0.9's purge message")
    func readsTimeoutVariants() throws {
        let e = try events(
            """
            19/08/29 22:26:21 INFO InteractiveSessionManager: Deleting InteractiveSession 0 because it was inactive for more than 3600000.0 ms.
            19/08/29 22:26:21 INFO InteractiveSessionManager: Deleting InteractiveSession 1 because it was inactive for more than 2.88E7 ms.
            19/08/29 22:26:21 INFO InteractiveSessionManager: Deleting InteractiveSession 2 because it was inactive for more than 3.6 ms.
            19/08/29 22:26:21 INFO InteractiveSessionManager: Deleting InteractiveSession 3 because it was inactive for more than 0.0036 secs.
            19/08/29 22:26:21 INFO InteractiveSessionManager: Deleting InteractiveSession 4 because it finished before 600.0 secs.
            19/08/29 22:26:21 INFO sessions.InteractiveSessionManager: Deleting InteractiveSession 5 because it was inactive for more than 3600000.0 ms.
            """)
        #expect(
            e.map { $0["event"] } == [
                .text("idle_timeout"), .text("idle_timeout"), .text("idle_timeout"), .text("idle_timeout"),
                .text("finished_purge"), .text("idle_timeout"),
            ])
        #expect(e.map { $0["session_id"] } == (0...5).map { .integer($0) })
        #expect(
            e.map { $0["detail"] } == [
                .text("3600000.0 ms"), .text("2.88E7 ms"), .text("3.6 ms"), .text("0.0036 secs"), .text("600.0 secs"),
                .text("3600000.0 ms"),
            ])
    }

    // 0.7/0.8 name the session only as `session N`; the manager's logger says which kind (the
    // HDP layout's `sessions.BatchSessionManager` too). A logger that is no manager names none.
    @Test(
        "delete and stop lines of 0.7/0.8 (`session N`, typed by the manager's logger) and 0.9 (`InteractiveSession N`)"
    )
    func readsDeleteAndStopLines() throws {
        let e = try events(
            """
            25/03/03 11:00:00 INFO InteractiveSessionManager: Deleting session 1
            25/03/03 11:00:00 INFO InteractiveSession: Stopping InteractiveSession 1...
            25/03/03 11:00:01 INFO InteractiveSession: Stopped InteractiveSession 1.
            25/03/03 11:00:01 INFO InteractiveSessionManager: Deleted session 1
            25/03/03 11:00:02 INFO InteractiveSessionManager: Deleting InteractiveSession 7
            25/03/03 11:00:03 INFO BatchSessionManager: Deleted BatchSession 3
            25/03/03 11:00:04 INFO BatchSessionManager: Deleting session 1
            25/03/03 11:00:05 INFO sessions.BatchSessionManager: Deleted session 1
            25/03/03 11:00:06 INFO LivyServer: Deleting session 2
            """)
        #expect(
            e.map { $0["event"] }
                == [
                    "deleting", "stopping", "stopped", "deleted", "deleting", "deleted", "deleting", "deleted",
                    "deleting",
                ].map { .text($0) })
        #expect(
            e.map { $0["session_type"] } == [
                .text("interactive"), .text("interactive"), .text("interactive"), .text("interactive"),
                .text("interactive"), .text("batch"),
                .text("batch"), .text("batch"), .null,
            ])
        #expect(e.map { $0["session_id"] } == [1, 1, 1, 1, 7, 3, 1, 1, 2].map { .integer($0) })
    }

    @Test("server start, recovery, heartbeat expiry, app ids from spark-submit output (with 0.5's stdout: prefix)")
    func readsServerAndForwardedLines() throws {
        let e = try events(
            """
            19/08/29 22:26:21 INFO BatchSessionManager: Recovered 0 batch sessions. Next session id: 0
            19/08/29 22:26:21 INFO InteractiveSessionManager: Recovered 2 interactive sessions. Next session id: 5
            19/08/29 22:26:21 INFO WebServer: Starting server on http://hadoop000:8998
            19/08/29 22:30:00 INFO InteractiveSessionManager: Session 3 expired. Last heartbeat is at Thu Aug 29 22:20:00 UTC 2019.
            19/02/06 16:56:18 INFO LineBufferedStream: 19/02/06 16:56:18 INFO YarnClientImpl: Submitted application application_1549469807970_0001
            18/06/09 06:42:56 INFO LineBufferedStream: stdout: 18/06/09 06:42:56 INFO YarnClientImpl: Submitted application application_1528526432139_0002
            18/06/09 06:42:56 INFO LineBufferedStream: stdout: 18/06/09 06:42:56 INFO SparkEntries: Created Spark session.
            """)
        #expect(
            e.map { $0["event"] }
                == ["recovered", "recovered", "server_start", "heartbeat_expired", "app_submitted", "app_submitted"].map
            { .text($0) })
        #expect(e[0]["session_type"] == .text("batch") && e[0]["detail"] == .text("0"))
        #expect(e[1]["session_type"] == .text("interactive") && e[1]["detail"] == .text("2"))
        #expect(e[2]["detail"] == .text("http://hadoop000:8998"))
        #expect(e[3]["session_id"] == .integer(3))
        #expect(e[4]["app_id"] == .text("application_1549469807970_0001"))
        #expect(e[5]["app_id"] == .text("application_1528526432139_0002"))
    }

    @Test("the app-lookup failure is read from the stack trace under the ERROR line, at its time")
    func readsAppNotFoundInStackTrace() throws {
        let e = try events(
            """
            25/03/03 14:02:00 ERROR SparkYarnApp: Error whiling refreshing YARN state
            java.lang.IllegalStateException: No YARN application is found with tag livy-session-3-abcd1234 in 120 seconds. This may be because 1) spark-submit fail to submit application to YARN; or 2) YARN cluster doesn't have enough resources to start the application in time. Please check Livy log and YARN log to know the details.
            \tat org.apache.livy.utils.SparkYarnApp.getAppIdFromTag(SparkYarnApp.scala:182)
            """)
        #expect(e.count == 1)
        #expect(e.first?["event"] == .text("app_not_found"))
        #expect(e.first?["session_id"] == .integer(3))
        #expect(e.first?["at"] == .text("2025-03-03T14:02:00.000Z"))
        #expect(e.first?["line"] == .integer(2))
        #expect(e.first?["detail"] == .text("livy-session-3-abcd1234"))
    }

    @Test("a lifecycle line that cannot be read is quarantined with its conf redacted")
    func quarantinesRedacted() throws {
        let (parsed, e) = try rows(
            LivyServerFormat.self,
            "25/03/03 10:00:00 INFO InteractiveSession$: Creating Interactive session x: [owner: knox, request: [kind: spark, conf: my.secret -> s3cr3t, heartbeatTimeoutInSecond: 0]]",
            table: "livy_event")
        #expect(e.isEmpty)
        #expect(parsed.rejected == 1)
        let q = try #require(parsed.quarantine.first)
        #expect(q.reason == "livy-server: create line without a session id")
        #expect(!q.excerpt.contains("s3cr3t"))
        #expect(q.excerpt.contains("my.secret -> ***"))
    }

    @Test(
        "lines of other loggers are not events",
        arguments: [
            "25/03/03 10:00:00 INFO SparkContext: Deleting session 1",
            "25/03/03 10:00:00 INFO Client: Submitted application application_1_0001",
        ])
    func ignoresOtherLoggers(line: String) throws {
        #expect(try events(line).isEmpty)
    }
}

@Suite("livy-request: Jetty NCSA request lines")
struct LivyRequestFormatTests {
    @Test("changes to sessions are kept, GETs only counted; the GMT offset is applied")
    func readsRequests() throws {
        let (parsed, r) = try rows(
            LivyRequestFormat.self,
            """
            10.0.0.20 - - [03/Mar/2025:09:00:00 +0000] "POST /sessions HTTP/1.1" 201 412
            10.0.0.20 - - [03/Mar/2025:09:01:00 +0000] "GET /sessions/0 HTTP/1.1" 200 390
            10.0.0.20 - alice [03/Mar/2025:10:05:00 +0100] "POST /sessions/0/statements?doAs=alice HTTP/1.1" 201 57
            10.0.0.20 - - [03/Mar/2025:09:06:00 +0000] "POST /sessions/0/statements/4/cancel HTTP/1.1" 200 -
            10.0.0.21 - - [03/Mar/2025:11:00:00 +0000] "DELETE /sessions/1 HTTP/1.1" 200 17
            10.0.0.21 - - [03/Mar/2025:11:00:05 +0000] "DELETE /batches/3 HTTP/1.1" 404 30
            10.0.0.21 - - [03/Mar/2025:11:00:06 +0000] "POST /sessions/nightly/statements HTTP/1.1" 201 57
            """, table: "livy_request")
        #expect(parsed.lines == 7)
        #expect(parsed.records == 6)
        #expect(
            r.map { $0["action"] }
                == ["create", "statement", "cancel", "delete", "delete", "statement"].map { .text($0) })
        #expect(r[1]["at"] == .text("2025-03-03T09:05:00.000Z"))  // 10:05 at +0100
        #expect(r[1]["user"] == .text("alice"))
        #expect(r[1]["session_id"] == .integer(0))
        #expect(r[3]["session_id"] == .integer(1))
        #expect(r[4]["session_type"] == .text("batch") && r[4]["status"] == .integer(404))
        #expect(r[2]["bytes"] == .null)
        #expect(r[5]["session_id"] == .null)  // a session named, not numbered
        #expect(r[5]["path"] == .text("/sessions/nightly/statements"))
    }

    @Test("an NCSA log of another web server is not a Livy request log")
    func leavesOtherAccessLogs() {
        let nginx = HeadSample(lines: [
            #"93.184.216.34 - - [10/Oct/2024:13:55:36 +0000] "GET /index.html HTTP/1.1" 200 2326"#
        ])
        #expect(!LivyRequestFormat.recognizes(nginx))
        let livy = HeadSample(lines: [#"10.0.0.20 - - [03/Mar/2025:09:00:00 +0000] "GET /sessions HTTP/1.1" 200 412"#])
        #expect(LivyRequestFormat.recognizes(livy))
    }

    @Test("a line that is not NCSA is rejected and quarantined")
    func rejectsGarbage() throws {
        let (parsed, r) = try rows(
            LivyRequestFormat.self,
            "10.0.0.20 - - [03/Mar/2025:09:00:00 +0000] \"POST /sessions HTTP/1.1\" 201 1\nnot a request line",
            table: "livy_request")
        #expect(r.count == 1)
        #expect(parsed.rejected == 1)
        #expect(parsed.quarantine.first?.line == 2)
    }
}
