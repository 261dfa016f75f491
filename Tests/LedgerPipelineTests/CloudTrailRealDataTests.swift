import Foundation
import GRDB
import LedgerFormats
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// Every file in ../shared/realdata that is CloudTrail, and those that only look like it.
///
/// Record counts were read from the files with Python's json module (not with this code): the
/// number of records, their eventSource/eventName, and which eventIDs repeat across files.
@Suite("CloudTrail files by others (../shared/realdata)")
struct CloudTrailRealDataTests {
    struct FileRow: Sendable {
        var format: String?
        var status: String
        var lines: Int
        var records: Int
        var rejected: Int
        var duplicates: Int
    }

    static let result = Task { () throws -> (TemporaryDirectory, [String: FileRow]) in
        let dir = try TemporaryDirectory.removedAtExit("ledger-ct-real")
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: Configuration()).ingest(
            [
                "trailscraper-fixtures", "aws-cloudtrail-processing-library-fixtures",
                "elastic-integrations-cloudtrail-fixtures",
                "stratus-red-team-detonation-logs", "otrf-security-datasets-aws",
            ].map { Configuration.Input(path: Fixtures.realdata + "/" + $0) })
        let rows = try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            try Row.fetchAll(
                db, sql: "SELECT path, format, status, lines, records, rejected, duplicates FROM input_file")
        }
        return (
            dir,
            Dictionary(
                uniqueKeysWithValues: rows.map {
                    (
                        URL(fileURLWithPath: $0["path"] as String).lastPathComponent,
                        FileRow(
                            format: $0["format"], status: $0["status"], lines: $0["lines"], records: $0["records"],
                            rejected: $0["rejected"], duplicates: $0["duplicates"])
                    )
                })
        )
    }

    /// (file, format or nil, records seen, stored, rejected, duplicates).
    static let expected: [(String, String?, Int, Int, Int, Int)] = [
        // trailscraper: 2 records (autoscaling DescribeLaunchConfigurations, sts AssumeRole);
        // the .gz inflates to the very same bytes (`gunzip -c … | cmp`), so it is a duplicate
        // file, not read into rows; the smoke-test file repeats both eventIDs and adds apigateway.
        ("111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json", "cloudtrail", 2, 1, 0, 0),
        ("111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz", "cloudtrail", 0, 0, 0, 0),
        ("events-for-smoke-test.json", "cloudtrail", 3, 0, 0, 1),
        // processing library: made-up services (eventSource1…), skipped; a record with null or
        // renamed eventSource/eventName is rejected; the broken-JSON file loses its first record
        // (a missing brace) and keeps the second; SQS notifications are not CloudTrail.
        ("SQSMessageBody", nil, 0, 0, 0, 0),
        ("SQSMessageBodyWrongFormat", nil, 0, 0, 0, 0),
        ("SerializerAllFieldsNull.json", "cloudtrail", 2, 0, 1, 0),
        ("SerializerTestFile.json", "cloudtrail", 6, 0, 0, 0),
        ("SerializerTestFileBadFieldName.json", "cloudtrail", 2, 0, 1, 0),
        ("SerializerTestFileBadJsonFormat.json", "cloudtrail", 2, 0, 1, 0),
        ("SerializerTestFileCompact.json", "cloudtrail", 6, 0, 0, 0),
        ("SerializerTestFileCompact.json.gz", "cloudtrail", 0, 0, 0, 0),  // the .json, gzipped: a duplicate
        ("SerializerTestFileLocation.json", "cloudtrail", 6, 0, 0, 0),
        ("SerializerTestFileMissField.json", "cloudtrail", 4, 0, 0, 0),
        ("SerializerTestFileNewFieldAtRandomPlaces.json", "cloudtrail", 2, 0, 0, 0),
        ("SerializerTestFileNewFieldName.json", "cloudtrail", 2, 0, 1, 0),
        ("SerializerTestFileNewFieldsInRoot.json", "cloudtrail", 2, 0, 0, 0),
        ("SerializerTestFileNewFieldsInUserIdentity.json", "cloudtrail", 2, 0, 0, 0),
        ("SerializerVariousUserIdentityTestFile.json", "cloudtrail", 1, 0, 0, 0),
        // elastic: one event per file, not wrapped: an AssumeRole and a 2025 IdC UserAuthentication.
        ("test-assume-role-email-session-json.log", "cloudtrail", 1, 1, 0, 0),
        ("test-user-authentication.log", "cloudtrail", 1, 1, 0, 0),
        // stratus (bare arrays): the AssumeRole calls and the ConsoleLogin are kept.
        ("aws.credential-access.ec2-get-password-data.json", "cloudtrail", 34, 4, 0, 0),
        ("aws.defense-evasion.organizations-leave.json", "cloudtrail", 3, 2, 0, 0),
        ("aws.discovery.ec2-download-user-data.json", "cloudtrail", 19, 4, 0, 0),
        ("aws.execution.ec2-launch-unusual-instances.json", "cloudtrail", 3, 2, 0, 0),
        ("aws.execution.ssm-send-command.json", "cloudtrail", 56, 0, 0, 0),
        ("aws.initial-access.console-login-without-mfa.json", "cloudtrail", 1, 1, 0, 0),
        ("aws.persistence.sts-federation-token.json", "cloudtrail", 2, 0, 0, 0),
        // OTRF: zips of a Logstash export and a CSV: not CloudTrail files.
        ("aws_s3_honeybucketlogs.zip", nil, 0, 0, 0, 0),
        ("ec2_proxy_s3_exfiltration.zip", nil, 0, 0, 0, 0),
    ]

    @Test("each file: recognised or not, records seen, kept, rejected, duplicates", arguments: 0..<expected.count)
    func countsRecords(index: Int) async throws {
        let (file, format, seen, stored, rejected, duplicates) = Self.expected[index]
        let rows = try await Self.result.value.1
        let row = try #require(rows[file], "\(file) not in the manifest")
        #expect(row.format == format, "\(file)")
        #expect(
            row.status == (format == nil ? "unrecognised" : file.hasSuffix(".json.gz") ? "duplicate" : "ok"), "\(file)")
        #expect(row.lines == seen, "\(file)")
        #expect(row.records == stored, "\(file)")
        #expect(row.rejected == rejected, "\(file)")
        #expect(row.duplicates == duplicates, "\(file)")
    }

    @Test("the 35 Stratus files hold 310 events, 13 of them relevant (12 AssumeRole, 1 ConsoleLogin)")
    func countsStratus() async throws {
        let rows = try await Self.result.value.1
        let stratus = rows.filter { $0.key.hasPrefix("aws.") }
        #expect(stratus.count == 35)
        #expect(stratus.values.reduce(0) { $0 + $1.lines } == 310)
        #expect(stratus.values.reduce(0) { $0 + $1.records } == 13)
    }

    @Test("the 2025 Identity Center sign-in is read in its new shape; STS credentials are not stored")
    func readsIdentityCenterSignIn() async throws {
        let dir = try await Self.result.value.0
        let queue = try DatabaseQueue(path: dir.path + "/l.sqlite")
        let secrets = try await queue.read { db in
            try Int.fetchOne(
                db,
                sql:
                    "SELECT count(*) FROM ct_event WHERE response_elements LIKE '%sessionToken%' OR response_elements LIKE '%EXAMPLETOKEN%'"
            )
        }
        let fields = try await queue.read { db -> [String?] in
            let row = try Row.fetchOne(
                db,
                sql:
                    "SELECT identity_type, on_behalf_of_user_id, user_name, additional_event_data, event_time FROM ct_event WHERE event_name = 'UserAuthentication'"
            )
            return (0..<5).map { row?[$0] }
        }
        #expect(fields[0] == "IdentityCenterUser")
        #expect(fields[1] == "redacted")
        #expect(fields[2] == nil)  // the new shape has no userName
        #expect(fields[3]?.contains(#""UserName":"redacted@example.com""#) == true)
        #expect(fields[4] == "2025-09-22T12:29:21.000Z")
        #expect(secrets == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/l.sqlite"))
        #expect(bytes.range(of: Data("someSessionToken".utf8)) == nil)
    }

    @Test("the Logstash export inside the OTRF zip is not CloudTrail either (no eventTime)")
    func rejectsLogstashExport() throws {
        let dir = try TemporaryDirectory("ledger-otrf")
        defer { dir.remove() }
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        unzip.arguments = [
            "python3", "-m", "zipfile", "-e",
            Fixtures.realdata + "/otrf-security-datasets-aws/ec2_proxy_s3_exfiltration.zip", dir.path,
        ]
        try unzip.run()
        unzip.waitUntilExit()
        let text = try String(
            contentsOfFile: dir.path + "/ec2_proxy_s3_exfiltration_2020-09-14011940.json", encoding: .utf8)
        #expect(text.split(separator: "\n").count == 103)
        #expect(FormatRegistry.recognise(HeadSample(bytes: Array(text.utf8))) == nil)
    }
}
