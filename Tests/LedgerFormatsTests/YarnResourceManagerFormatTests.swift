import Foundation
import LedgerFormats
import LedgerModel
import LedgerTestSupport
import Testing

/// Runs the `yarn-rm` parser over a file's lines.
func parseRM(_ text: String, timeZone: String = "UTC", cluster: String? = nil) throws -> ParsedFile {
    let context = ParseContext(
        path: "test.log", input: InputContext(clusterID: cluster, timeZone: timeZone),
        clock: try LocalTimeConverter(identifier: timeZone))
    var parser = YarnResourceManagerFormat(context: context)
    var number = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        number += 1
        var s = String(line)
        s.withUTF8 { parser.consume(lineNumber: number, bytes: UnsafeRawBufferPointer($0)) }
    }
    return parser.finish()
}

/// The `yarn_app` rows of a parse, as column → value, keyed by app id.
func apps(_ parsed: ParsedFile) -> [String: [String: SQLValue]] {
    guard let batch = parsed.batches.first(where: { $0.table == "yarn_app" }) else { return [:] }
    var out: [String: [String: SQLValue]] = [:]
    for i in 0..<batch.rowCount {
        var row = Dictionary(uniqueKeysWithValues: zip(batch.columns, batch.row(i)))
        row["line"] = .integer(Int64(batch.lines[i]))
        if case .text(let id) = row["app_id"] { out[id] = row }
    }
    return out
}

@Suite("yarn-rm: ResourceManager ApplicationSummary lines")
struct YarnResourceManagerFormatTests {
    static let hadoop3 = "rm/hadoop3/yarn-liuxy-resourcemanager-LAPTOP-GCQQL01V.log"

    @Test("the real Hadoop 3.3 summary line: every number as written, times to UTC")
    func readsHadoop33Line() throws {
        let text = String(decoding: try Fixtures.bytes(Self.hadoop3), as: UTF8.self)
        // That machine logged in UTC+8 (its summary says finishTime 02:06:50.210Z and the line
        // is stamped 10:06:56 local), so the input's time zone is Asia/Shanghai.
        let parsed = try parseRM(text, timeZone: "Asia/Shanghai", cluster: "laptop")
        let app = try #require(apps(parsed)["application_1637633166384_0001"])
        #expect(app["line"] == .integer(9))
        #expect(app["cluster_id"] == .text("laptop"))
        #expect(app["logged_at"] == .text("2021-11-23T02:06:56.714Z"))  // 10:06:56,714 − 8 h
        #expect(app["name"] == .text("grep-search"))
        #expect(app["user"] == .text("liuxy"))
        #expect(app["queue"] == .text("default"))
        #expect(app["state"] == .text("FINISHED"))
        #expect(app["final_status"] == .text("SUCCEEDED"))
        #expect(
            app["tracking_url"]
                == .text("http://LAPTOP-GCQQL01V.localdomain:8088/proxy/application_1637633166384_0001/"))
        #expect(app["app_master_host"] == .text("LAPTOP-GCQQL01V.localdomain"))
        // Epoch ms → UTC, checked with Python's datetime.fromtimestamp(ms/1000, timezone.utc).
        #expect(app["submit_time"] == .text("2021-11-23T02:06:29.105Z"))  // 1637633189105
        #expect(app["start_time"] == .text("2021-11-23T02:06:29.231Z"))  // 1637633189231
        #expect(app["launch_time"] == .text("2021-11-23T02:06:29.779Z"))  // 1637633189779
        #expect(app["finish_time"] == .text("2021-11-23T02:06:50.210Z"))  // 1637633210210
        #expect(app["memory_seconds"] == .integer(120_884))
        #expect(app["vcore_seconds"] == .integer(87))
        #expect(app["preempted_memory_seconds"] == .integer(0))
        #expect(app["preempted_resources"] == .text("<memory:0, vCores:0>"))  // `\,` unescaped
        #expect(app["application_type"] == .text("MAPREDUCE"))
        #expect(app["resource_seconds"] == .text("120884 MB-seconds, 87 vcore-seconds"))
        #expect(app["application_tags"] == .text(""))
        #expect(app["diagnostics"] == .text(""))
        #expect(app["total_allocated_containers"] == .integer(10))
        #expect(app["extra"] == .null)
    }

    @Test("escaped commas and equals in tags, a \\n in diagnostics, a literal backslash in the name")
    func unescapesValues() throws {
        let text = String(decoding: try Fixtures.bytes(Self.hadoop3), as: UTF8.self)
        let parsed = try parseRM(text, timeZone: "Asia/Shanghai")
        let app = try #require(apps(parsed)["application_1637633166384_0002"])
        // Written `name=etl\\nightly`: an escaped backslash then `n`, not a line break.
        #expect(app["name"] == .text("etl\\nightly"))
        // Written `applicationTags=livy-session-0-ab12cd34\,team\=data`.
        #expect(app["application_tags"] == .text("livy-session-0-ab12cd34,team=data"))
        // Written `…at 127.0.0.1\nKilled by alice\, reason: idle`.
        #expect(
            app["diagnostics"]
                == .text(
                    "Application application_1637633166384_0002 was killed by user alice at 127.0.0.1\nKilled by alice, reason: idle"
                ))
        #expect(app["state"] == .text("KILLED"))
        #expect(app["queue"] == .text("root.analytics"))
        #expect(app["memory_seconds"] == .integer(17_227_776))
        #expect(app["vcore_seconds"] == .integer(8412))
        #expect(app["preempted_non_am_containers"] == .integer(1))
        #expect(app["submit_time"] == .text("2021-11-23T03:05:00.000Z"))  // 1637636700000
        #expect(app["finish_time"] == .text("2021-11-23T04:15:01.500Z"))  // 1637640901500
        #expect(app["logged_at"] == .text("2021-11-23T04:15:02.031Z"))  // 12:15:02,031 local
    }

    @Test("a summary with a number that is not one is rejected with the reason; the others are kept")
    func rejectsBadNumbers() throws {
        let text = String(decoding: try Fixtures.bytes(Self.hadoop3), as: UTF8.self)
        let parsed = try parseRM(text)
        #expect(apps(parsed).keys.sorted() == ["application_1637633166384_0001", "application_1637633166384_0002"])
        #expect(parsed.rejected == 1)
        #expect(parsed.records == 4)  // 2 summaries and 2 RMAuditLogger lines
        #expect(parsed.quarantine.map(\.line) == [15])
        #expect(parsed.quarantine.first?.reason == "yarn-rm: memorySeconds is not an integer: '12a'")
        #expect(parsed.lines == 17)  // 16 lines and the empty piece after the last break
        // First and last timestamped lines (UTC input): 10:06:06,118 and 12:20:05,500.
        #expect(parsed.firstEventMillis.map(UTCTime.iso8601) == "2021-11-23T10:06:06.118Z")
        #expect(parsed.lastEventMillis.map(UTCTime.iso8601) == "2021-11-23T12:20:05.500Z")
    }

    @Test("Hadoop 2.x (%c{2}, keys up to applicationType) and 2.0 (nine keys) layouts")
    func readsOlderLayouts() throws {
        let parsed = try parseRM(String(decoding: try Fixtures.bytes("rm/hadoop2/rm-appsummary.log"), as: UTF8.self))
        let all = apps(parsed)
        let wc = try #require(all["application_1488460948013_0003"])
        #expect(wc["name"] == .text("word count, part 2"))
        #expect(wc["submit_time"] == .null)  // no submitTime key before 2.8
        #expect(wc["start_time"] == .text("2017-03-02T14:24:31.373Z"))  // 1488464671373
        #expect(wc["finish_time"] == .text("2017-03-02T14:25:10.948Z"))  // 1488464710948
        #expect(wc["memory_seconds"] == .integer(95465))
        #expect(wc["vcore_seconds"] == .integer(54))
        #expect(wc["preempted_resources"] == .text("<memory:0, vCores:0>"))
        #expect(wc["application_type"] == .text("MAPREDUCE"))
        #expect(wc["total_allocated_containers"] == .null)
        let old = try #require(all["application_1349427720398_0001"])
        #expect(old["start_time"] == .text("2012-10-05T09:11:44.011Z"))  // 1349428304011
        #expect(old["finish_time"] == .text("2012-10-05T09:12:44.224Z"))  // 1349428364224
        #expect(old["final_status"] == .null)
        #expect(old["memory_seconds"] == .null)
        #expect(parsed.rejected == 0)
    }

    @Test("EMR's (thread) layout")
    func readsEMRLayout() throws {
        let parsed = try parseRM(
            String(decoding: try Fixtures.bytes("rm/emr/yarn-yarn-resourcemanager-ip-172-31-23-116.log"), as: UTF8.self)
        )
        let app = try #require(apps(parsed)["application_1590702911576_0016"])
        #expect(app["name"] == .text("livy-session-3"))
        #expect(app["start_time"] == .text("2020-06-20T20:09:04.216Z"))  // 1592683744216
        #expect(app["finish_time"] == .text("2020-06-20T20:11:47.881Z"))  // 1592683907881
        #expect(app["memory_seconds"] == .integer(1_403_297))
        #expect(app["vcore_seconds"] == .integer(326))
        #expect(app["resource_seconds"] == .text("1403297 MB-seconds, 326 vcore-seconds"))
        #expect(app["launch_time"] == .null)
        #expect(app["logged_at"] == .text("2020-06-20T20:11:47.883Z"))
    }

    @Test("keys this code does not know are kept in extra, as JSON; launchTime=0 means never")
    func keepsUnknownKeys() throws {
        let line =
            "2024-01-01 00:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: appId=application_1_0001,name=a,launchTime=0,queueLabel=x\\,y,futureKey=1"
        let app = try #require(apps(try parseRM(line))["application_1_0001"])
        #expect(app["extra"] == .text(#"{"queueLabel":"x,y","futureKey":"1"}"#))
        #expect(app["launch_time"] == .null)
    }

    @Test(
        "a summary without a valid appId is rejected",
        arguments: [
            "appId=,name=x", "name=x,user=y", "appId=job_1_1,name=x", "=oops",
        ])
    func rejectsMissingAppID(message: String) throws {
        let parsed = try parseRM(
            "2024-01-01 00:00:00,000 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager$ApplicationSummary: "
                + message)
        #expect(parsed.records == 0)
        #expect(parsed.rejected == 1)
    }
}

@Suite("Recognising formats by content")
struct RecognitionTests {
    func head(_ path: String) throws -> HeadSample {
        HeadSample(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test(
        "every ResourceManager fixture is recognised as yarn-rm",
        arguments: [
            "rm/hadoop3/yarn-liuxy-resourcemanager-LAPTOP-GCQQL01V.log",
            "rm/hadoop2/rm-appsummary.log",
            "rm/emr/yarn-yarn-resourcemanager-ip-172-31-23-116.log",
        ])
    func recognisesResourceManagerLogs(fixture: String) throws {
        let format = try #require(FormatRegistry.recognise(try head(Fixtures.path(fixture))))
        #expect(format.name == "yarn-rm")
    }

    // Real logs by others (../shared/realdata): a MapReduce AM log and a Spark executor log on
    // YARN are log4j too, but neither a ResourceManager nor a Livy server wrote them; SQS
    // notifications mention CloudTrail files but are not CloudTrail.
    @Test(
        "real logs that no format of ours wrote are not claimed",
        arguments: [
            "loghub-hadoop-spark/Hadoop_2k.log",
            "loghub-hadoop-spark/Spark_2k.log",
            "aws-cloudtrail-processing-library-fixtures/SQSMessageBody",
            "aws-cloudtrail-processing-library-fixtures/SQSMessageBodyWrongFormat",
        ])
    func leavesForeignLogsUnclaimed(file: String) throws {
        let path = Fixtures.realdata + "/" + file
        #expect(FormatRegistry.recognise(try head(path)) == nil)
    }

    // Real Livy server output (HDInsight articles, a blog post): start-up with a stack trace,
    // a ZooKeeper fatal error, 0.5's `LineBufferedStream: stdout:` lines.
    @Test(
        "real Livy server fragments are recognised as livy-server",
        arguments: [
            "livy-log-fragments/hdinsight-livy-server-startup-oom-2017-07-27.log",
            "livy-log-fragments/hdinsight-livy-zookeeper-fatal-2019-06-19.log",
            "livy-log-fragments/unattributed-livy-0.5-session-start-2018-06-09.log",
        ])
    func recognisesRealLivyFragments(file: String) throws {
        let format = try #require(FormatRegistry.recognise(try head(Fixtures.realdata + "/" + file)))
        #expect(format.name == "livy-server")
    }

    @Test("--format names are checked")
    func checksFormatNames() throws {
        #expect(try FormatRegistry.format(named: "yarn-rm").name == "yarn-rm")
        #expect(
            throws: LedgerError.unknownFormat(
                "yarn",
                known: [
                    "cloudtrail", "cloudtrail-digest", "livy-request", "livy-rest", "livy-server",
                    "sagemaker-job-state", "yarn-app-list", "yarn-rm",
                ])
        ) {
            try FormatRegistry.format(named: "yarn")
        }
    }
}

@Suite("Rows taken in pieces")
struct TakeRowsTests {
    // The pipeline takes a parser's rows every few thousand (so a large log is never held
    // whole); what it takes plus what finish() returns must be the rows of one whole parse, in
    // order, each once.
    @Test("taking rows along the way gives the same rows, in the same order, as one finish()")
    func piecesAddUp() throws {
        let text = String(decoding: try Fixtures.bytes(YarnResourceManagerFormatTests.hadoop3), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let context = ParseContext(
            path: "t.log", input: InputContext(clusterID: "j-T"), clock: try LocalTimeConverter(identifier: "UTC"))

        var whole = YarnResourceManagerFormat(context: context)
        var pieced = YarnResourceManagerFormat(context: context)
        var taken: [TableBatch] = []
        for (i, line) in lines.enumerated() {
            var s = line
            s.withUTF8 { whole.consume(lineNumber: i + 1, bytes: UnsafeRawBufferPointer($0)) }
            s.withUTF8 { pieced.consume(lineNumber: i + 1, bytes: UnsafeRawBufferPointer($0)) }
            if i % 3 == 2 {
                let held = pieced.heldRows
                let piece = pieced.takeRows()
                #expect(piece.reduce(0) { $0 + $1.rowCount } == held)
                #expect(pieced.heldRows == 0)
                taken += piece
            }
        }
        let one = whole.finish().batches
        let rest = pieced.finish().batches
        func rows(_ batches: [TableBatch], _ table: String) -> [(line: Int, values: [SQLValue])] {
            batches.filter { $0.table == table }.flatMap { b in (0..<b.rowCount).map { (b.lines[$0], Array(b.row($0))) }
            }
        }
        // The fixture: three summaries (the third has memorySeconds=12a and is rejected), two audit lines.
        #expect(rows(one, "yarn_app").count == 2 && rows(one, "yarn_audit").count == 2)
        #expect(taken.count >= 2, "rows were taken more than once")
        for table in ["yarn_app", "yarn_audit"] {
            #expect(rows(one, table).map(\.line) == rows(taken + rest, table).map(\.line))
            #expect(rows(one, table).map(\.values) == rows(taken + rest, table).map(\.values))
        }
    }
}
