import LedgerFormats
import LedgerModel
import Testing

@Suite("The log4j line prefix")
struct Log4jLineTests {
    struct Parsed: Equatable {
        let time: String
        let level: String
        let logger: String
        let thread: String?
        let message: String
    }

    func parse(_ line: String) -> Parsed? {
        var line = line
        return line.withUTF8 { utf8 in
            let b = UnsafeRawBufferPointer(utf8)
            guard let l = Log4jLine.parse(b) else { return nil }
            func s(_ r: Range<Int>) -> String {
                String(decoding: UnsafeRawBufferPointer(rebasing: b[r]), as: UTF8.self)
            }
            return Parsed(
                time: UTCTime.iso8601(millis: l.localMillis), level: s(l.level), logger: s(l.logger),
                thread: l.thread.map(s), message: s(l.message))
        }
    }

    @Test("Hadoop's %d{ISO8601} %p %c: %m")
    func hadoopLayout() {
        #expect(
            parse(
                "2021-11-23 10:06:56,714 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger: USER=liuxy\tIP=127.0.0.1"
            )
                == Parsed(
                    time: "2021-11-23T10:06:56.714Z", level: "INFO",
                    logger: "org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger", thread: nil,
                    message: "USER=liuxy\tIP=127.0.0.1"))
    }

    // How this was seen to fail: with the logger's end taken as its start when no space follows
    // it (the memchr scan's miss), the first line was not read at all.
    @Test("a logger that ends the line: an empty message; a logger without a colon: no line")
    func loggerAtTheEnd() {
        #expect(
            parse("2021-11-23 10:06:56,714 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager:")
                == Parsed(
                    time: "2021-11-23T10:06:56.714Z", level: "INFO",
                    logger: "org.apache.hadoop.yarn.server.resourcemanager.RMAppManager", thread: nil, message: ""))
        #expect(parse("2021-11-23 10:06:56,714 INFO org.apache.hadoop.yarn.server.resourcemanager.RMAppManager") == nil)
    }

    @Test("EMR's thread in parentheses, including thread names with spaces")
    func emrThreadLayout() {
        #expect(
            parse(
                "2020-06-20 20:09:04,230 INFO org.apache.hadoop.yarn.server.resourcemanager.ClientRMService (IPC Server handler 12 on default port 8032): Application with id 16 submitted by user livy"
            )
                == Parsed(
                    time: "2020-06-20T20:09:04.230Z", level: "INFO",
                    logger: "org.apache.hadoop.yarn.server.resourcemanager.ClientRMService",
                    thread: "IPC Server handler 12 on default port 8032",
                    message: "Application with id 16 submitted by user livy"))
    }

    @Test("MapReduce's [thread] before the logger and vendors' %c{1}:%L - layout")
    func otherLayouts() {
        #expect(
            parse(
                "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster"
            )
                == Parsed(
                    time: "2015-10-18T18:01:47.978Z", level: "INFO",
                    logger: "org.apache.hadoop.mapreduce.v2.app.MRAppMaster", thread: "main",
                    message: "Created MRAppMaster"))
        #expect(
            parse("2018-12-16 14:36:35 INFO  RMAuditLogger:170 - USER=arttsiom.chuiko\tIP=192.168.100.73")
                == Parsed(
                    time: "2018-12-16T14:36:35.000Z", level: "INFO", logger: "RMAuditLogger", thread: nil,
                    message: "USER=arttsiom.chuiko\tIP=192.168.100.73"))
    }

    @Test("Livy's %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m")
    func livyLayout() {
        #expect(
            parse("19/08/29 22:26:21 INFO InteractiveSessionManager: Heartbeat watchdog thread started.")
                == Parsed(
                    time: "2019-08-29T22:26:21.000Z", level: "INFO", logger: "InteractiveSessionManager", thread: nil,
                    message: "Heartbeat watchdog thread started."))
    }

    @Test(
        "stack traces, continuations and garbage are not log lines",
        arguments: [
            "java.io.IOException: Connection reset by peer",
            "\tat org.apache.hadoop.fs.FileSystem.create(FileSystem.java:1234)",
            "STARTUP_MSG:   version = 3.3.1",
            "2021-13-23 10:06:56,714 INFO x: month 13",
            "2021-11-23 10:06:56,714 info lowercase: level",
            "2021-11-23 10:06:56,714",
            "",
            "\u{FFFD}\u{0}binary",
        ])
    func rejectsNonLines(line: String) {
        #expect(parse(line) == nil)
    }
}
