import Foundation
import LedgerTestSupport
import Testing

@Suite("query over sessions, as a user runs it")
struct SessionQueryTests {
    @Test("'select * from session' on two gzipped clusters in the EMR layout lists each session under its cluster")
    func listsSessionsPerCluster() throws {
        let dir = try TemporaryDirectory("ledger-cli-sessions")
        defer { dir.remove() }
        let root = Fixtures.path("sessions")
        for file in try FileManager.default.subpathsOfDirectory(atPath: root).sorted() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + file, isDirectory: &isDirectory),
                !isDirectory.boolValue
            else { continue }
            try dir.write("logs/" + file + ".gz", Gzip.compress(try Fixtures.bytes("sessions/" + file)))
        }
        let db = dir.path + "/l.sqlite"
        let config = try dir.write(
            "c.toml",
            """
            [[inputs]]
            path = "logs/j-07TESTCLUSTER"
            [[inputs]]
            path = "logs/j-09TESTCLUSTER"
            timezone = "America/New_York"
            """)
        let ingest = try CLI.run(["ingest", "--config", config, "--db", db])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let r = try CLI.run([
            "query", "select * from session order by cluster_id, created_at", "--db", db, "--format", "csv",
        ])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\r\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = try #require(lines.first)
        let cluster = try #require(header.firstIndex(of: "cluster_id"))
        let user = try #require(header.firstIndex(of: "proxy_user"))
        let reason = try #require(header.firstIndex(of: "end_reason"))
        // The fixture's sessions, by cluster and creation time (see SessionTests for the values).
        #expect(
            lines.dropFirst().map { "\($0[cluster]) \($0[user]) \($0[reason])" } == [
                "j-07TESTCLUSTER alice idle_timeout",
                "j-07TESTCLUSTER bob user_deleted",
                "j-07TESTCLUSTER carol app_killed",
                "j-07TESTCLUSTER dave start_failed",
                "j-07TESTCLUSTER erin server_restart",
                "j-07TESTCLUSTER frank still_running",
                "j-09TESTCLUSTER gina idle_timeout",
                "j-09TESTCLUSTER hank heartbeat_expired",
                "j-09TESTCLUSTER ivy app_killed",
                "j-09TESTCLUSTER jack app_finished",
            ])
    }
}

@Suite("verify, as a user runs it")
struct VerifyCommandTests {
    @Test("exit 0 and a summary for an intact digest chain; exit 3 naming the changed file")
    func exitsByFindings() throws {
        let dir = try TemporaryDirectory("ledger-cli-verify")
        defer { dir.remove() }
        let prefix = "AWSLogs/111122223333/CloudTrail/us-east-1/2025/11/24/"
        let log = Array(
            #"{"Records":[{"eventVersion":"1.11","eventTime":"2025-11-24T00:01:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"e"}]}"#
                .utf8)
        let logName = prefix + "111122223333_CloudTrail_us-east-1_20251124T0005Z_abcdefghijklmnop.json.gz"
        try dir.write(logName, Gzip.compress(log))
        // The hash of the uncompressed log, by coreutils: the digest records it.
        let hash = try sha256sum(log)
        let digestName =
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/11/24/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20251124T010000Z.json.gz"
        try dir.write(
            digestName,
            Gzip.compress(
                Array(
                    """
                    {"awsAccountId":"111122223333","digestStartTime":"2025-11-24T00:00:00Z","digestEndTime":"2025-11-24T01:00:00Z","digestS3Bucket":"b","digestS3Object":"\(digestName)","previousDigestS3Object":null,"logFiles":[{"s3Bucket":"b","s3Object":"\(logName)","hashValue":"\(hash)","hashAlgorithm":"SHA-256"}]}
                    """.utf8)))
        let ok = try CLI.run(["verify", dir.path])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(
            ok.stdout.hasPrefix(
                "verify: 1 log file(s), 1 digest(s); 1 verified, 0 newer than the newest digest; 0 finding(s)\n"))
        try dir.write(
            logName,
            Gzip.compress(
                Array(
                    String(decoding: log, as: UTF8.self).replacingOccurrences(of: "AssumeRole", with: "AssumeRolX").utf8
                )))
        let bad = try CLI.run(["verify", dir.path])
        #expect(bad.status == 3)
        #expect(bad.stdout.contains("changed  \(dir.path)/\(logName)"))
    }
}
