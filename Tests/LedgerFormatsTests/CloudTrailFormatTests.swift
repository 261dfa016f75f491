import Foundation
import LedgerFormats
import LedgerModel
import LedgerTestSupport
import Testing

/// Feeds `text` to the CloudTrail parser in chunks of `chunk` bytes.
func parseTrail(_ text: String, chunk: Int = 1 << 16) throws -> (ParsedFile, [[String: SQLValue]], skipped: Int) {
    let context = ParseContext(
        path: "t.json", input: InputContext(accountID: "111122223333"), clock: try LocalTimeConverter(identifier: "UTC")
    )
    var parser = CloudTrailFormat(context: context)
    let bytes = Array(text.utf8)
    var i = 0
    while i < bytes.count {
        bytes[i..<min(i + chunk, bytes.count)].withUnsafeBytes { parser.consume(chunk: $0) }
        i += chunk
    }
    let skipped = parser.skipped
    let parsed = parser.finish()
    guard let b = parsed.batches.first(where: { $0.table == "ct_event" }) else { return (parsed, [], skipped) }
    let rows = (0..<b.rowCount).map { r in
        var row = Dictionary(uniqueKeysWithValues: zip(b.columns, b.row(r)))
        row["line"] = .integer(Int64(b.lines[r]))
        return row
    }
    return (parsed, rows, skipped)
}

/// A minimal CloudTrail event.
func event(_ id: String, _ source: String, _ name: String, time: String = "2025-11-24T09:00:00Z", extra: String = "")
    -> String
{
    #"{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROA:alice","arn":"arn:aws:sts::111122223333:assumed-role/EMR_EC2_Role/i-1","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/EMR_EC2_Role"}}\#(extra)},"eventTime":"\#(time)","eventSource":"\#(source)","eventName":"\#(name)","awsRegion":"us-east-1","eventID":"\#(id)","recipientAccountId":"111122223333"}"#
}

@Suite("cloudtrail: records out of a stream, relevant ones kept")
struct CloudTrailFormatTests {
    static let file = """
        {"Records":[
        \(event("e1", "s3.amazonaws.com", "GetObject")),
        \(event("e2", "sts.amazonaws.com", "AssumeRole")),
        \(event("e3", "signin.amazonaws.com", "UserAuthentication", time: "2025-11-24T08:59:00Z")),
        \(event("e4", "s3.amazonaws.com", "GetObject", extra: #","onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:aws:identitystore::1:identitystore/d-1"}"#)),
        \(event("e5", "ec2.amazonaws.com", "DescribeInstances", time: "2025-11-24T09:30:00Z"))
        ]}
        """

    @Test("the same records whatever the chunk size", arguments: [1, 2, 3, 7, 64, 65536])
    func splitsIndependentlyOfChunks(chunk: Int) throws {
        let (parsed, rows, skipped) = try parseTrail(Self.file, chunk: chunk)
        #expect(parsed.lines == 5)
        #expect(rows.map { $0["event_id"] } == [.text("e2"), .text("e3"), .text("e4")])
        #expect(rows.map { $0["line"] } == [.integer(2), .integer(3), .integer(4)])
        #expect(skipped == 2)
        #expect(parsed.rejected == 0)
        // All five count for the file's time span, skipped ones too.
        #expect(parsed.firstEventMillis.map(UTCTime.iso8601) == "2025-11-24T08:59:00.000Z")
        #expect(parsed.lastEventMillis.map(UTCTime.iso8601) == "2025-11-24T09:30:00.000Z")
    }

    // The splitter skips through strings to the next quote or backslash and copies a record's
    // bytes a run at a time; escapes and chunk ends are where that can go wrong. Strings here
    // end in an escaped backslash, hold escaped quotes, braces and brackets, and an irrelevant
    // record between two kept ones is full of them; every chunk size from 1 to 40 bytes (so
    // that chunks end inside escapes, strings and keys) must give the same rows, and the values
    // read back are the strings written. How this was seen to fail: treating the byte after a
    // backslash as ordinary (no `escaped`) ended strings at `\"` and lost the records; not
    // copying the bytes left at a chunk's end lost them at every chunk size below the file's.
    @Test("escaped quotes, backslashes and braces in strings, cut anywhere by chunks")
    func escapesAcrossChunks() throws {
        let tricky = #"{"roleSessionName":"a\"b}{[]\\","roleArn":"arn:aws:iam::2:role/r\\","x":"]}\\\""}"#
        let noise =
            #"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2025-01-01T00:00:01Z","eventID":"n","requestParameters":{"key":"}}]]\"{{[[\\"}}"#
        func assume(_ id: String) -> String {
            #"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"1"},"eventTime":"2025-01-01T00:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"\#(id)","requestParameters":\#(tricky)}"#
        }
        let file = #"{"Records":[\#(assume("a")),\#(noise),\#(assume("b"))]}"#
        let (_, whole, skipped) = try parseTrail(file)
        #expect(whole.map { $0["event_id"] } == [.text("a"), .text("b")] && skipped == 1)
        guard case .text(let stored)? = whole.first?["request_parameters"],
            let object = try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: String]
        else {
            Issue.record("no request parameters")
            return
        }
        #expect(object == ["roleSessionName": #"a"b}{[]\"#, "roleArn": #"arn:aws:iam::2:role/r\"#, "x": #"]}\""#])
        for chunk in 1...40 {
            let (parsed, rows, skipped) = try parseTrail(file, chunk: chunk)
            #expect(rows == whole && skipped == 1 && parsed.rejected == 0, "chunk \(chunk)")
        }
    }

    @Test("an irrelevant service's event is kept when it carries onBehalfOf; its fields are read")
    func keepsIdentityEnhancedEvents() throws {
        let (_, rows, _) = try parseTrail(Self.file)
        let e4 = try #require(rows.first { $0["event_id"] == .text("e4") })
        #expect(e4["on_behalf_of_user_id"] == .text("u-1"))
        #expect(e4["on_behalf_of_store_arn"] == .text("arn:aws:identitystore::1:identitystore/d-1"))
        #expect(e4["session_issuer_arn"] == .text("arn:aws:iam::111122223333:role/EMR_EC2_Role"))
        #expect(e4["identity_type"] == .text("AssumedRole"))
        #expect(e4["event_time"] == .text("2025-11-24T09:00:00.000Z"))
    }

    @Test("bare arrays, single events and one event per line are read too")
    func readsOtherShapes() throws {
        #expect(
            try parseTrail(
                "[\(event("a", "sts.amazonaws.com", "AssumeRole")), \(event("b", "ec2.amazonaws.com", "X"))]"
            ).1.count == 1)
        #expect(try parseTrail(event("c", "signin.amazonaws.com", "ConsoleLogin")).1.count == 1)
        let ndjson =
            [event("d", "sts.amazonaws.com", "AssumeRole"), event("e", "sso.amazonaws.com", "Logout")].joined(
                separator: "\n") + "\n"
        let (parsed, rows, _) = try parseTrail(ndjson)
        #expect(parsed.lines == 2)
        #expect(rows.map { $0["event_id"] } == [.text("d"), .text("e")])
    }

    // How this was seen to fail: with a non-string field read as absent instead of refused, the
    // record was rejected for a missing eventTime, not named for its wrong type.
    @Test("a record with a wrong type is quarantined; the records around it are kept")
    func keepsGoodRecordsBesideBadOnes() throws {
        let bad =
            #"{"eventVersion":"1.11","eventTime":1732438800,"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"bad"}"#
        let (parsed, rows, _) = try parseTrail(
            "{\"Records\":[\(event("x", "sts.amazonaws.com", "AssumeRole")),\(bad),\(event("y", "sts.amazonaws.com", "AssumeRole"))]}"
        )
        #expect(rows.map { $0["event_id"] } == [.text("x"), .text("y")])
        #expect(parsed.rejected == 1)
        #expect(parsed.quarantine.first?.line == 2)
        #expect(parsed.quarantine.first?.reason == "cloudtrail: eventTime is not a string")
    }

    // How this was seen to fail: without the end-of-stream check, the cut record vanished
    // silently: rejected 0, no quarantine row.
    // `{"Records":[e1,e2 e3]}`: no comma between the 2nd and 3rd records (and a bare array with
    // the same gap between its 1st and 2nd). Every record is whole, so all are kept, and the gap
    // is one rejected "line" naming the two records, so that the file is flagged. Chunk sizes
    // that cut the records anywhere give the same answer. How this was seen to fail: 3 records
    // kept and 0 rejected, the file ok with nothing said.
    @Test(
        "records with no comma between them are all kept, and the file is flagged where", arguments: [1, 5, 64, 65536])
    func missingComma(chunk: Int) throws {
        let file =
            "{\"Records\":[" + event("e1", "sts.amazonaws.com", "AssumeRole") + ",\n"
            + event("e2", "sts.amazonaws.com", "AssumeRole")
            + "\n" + event("e3", "sts.amazonaws.com", "AssumeRole") + "]}"
        let (parsed, rows, _) = try parseTrail(file, chunk: chunk)
        #expect(rows.map { $0["event_id"] } == [.text("e1"), .text("e2"), .text("e3")])
        #expect(parsed.lines == 3)
        #expect(parsed.rejected == 1)
        #expect(
            parsed.quarantine.map(\.reason) == [
                "cloudtrail: no ',' between records 2 and 3: the file is not valid JSON there; both records were read"
            ])
        let array =
            "[" + event("a1", "sts.amazonaws.com", "AssumeRole") + " " + event("a2", "sts.amazonaws.com", "AssumeRole")
            + "]"
        let (bare, bareRows, _) = try parseTrail(array, chunk: chunk)
        #expect(bareRows.count == 2 && bare.rejected == 1)
        // Commas where they belong, and one event per line (no array): nothing to flag.
        let lines =
            event("l1", "sts.amazonaws.com", "AssumeRole") + "\n" + event("l2", "sts.amazonaws.com", "AssumeRole")
            + "\n"
        let (perLine, perLineRows, _) = try parseTrail(lines, chunk: chunk)
        #expect(perLineRows.count == 2 && perLine.rejected == 0)
        #expect(try parseTrail(Self.file, chunk: chunk).0.rejected == 0)  // the suite's well-formed file
    }

    @Test("a document cut in half keeps every whole record before the cut")
    func readsCutDocuments() throws {
        let whole =
            "{\"Records\":[\(event("p", "sts.amazonaws.com", "AssumeRole")),\(event("q", "sts.amazonaws.com", "AssumeRole"))]}"
        let cut = String(whole.prefix(whole.count - 60))
        let (parsed, rows, _) = try parseTrail(cut)
        #expect(rows.map { $0["event_id"] } == [.text("p")])
        #expect(parsed.rejected == 1)
        #expect(parsed.quarantine.first?.reason == "cloudtrail: the file ends inside a record (cut JSON)")
    }

    @Test("credentials in responses never reach the ledger; JSON parts are stored with sorted keys")
    func redactsCredentials() throws {
        let assume =
            #"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"1"},"eventTime":"2025-01-01T00:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"z","requestParameters":{"roleSessionName":"s","roleArn":"arn:aws:iam::2:role/r","sourceIdentity":"alice@example.com","durationSeconds":3600},"responseElements":{"credentials":{"accessKeyId":"ASIAEXAMPLE","sessionToken":"SECRETTOKEN","expiration":"Jan 1, 2025"},"assumedRoleUser":{"arn":"arn:aws:sts::2:assumed-role/r/s"}}}"#
        let (_, rows, _) = try parseTrail(assume)
        let r = try #require(rows.first)
        #expect(
            r["response_elements"]
                == .text(#"{"assumedRoleUser":{"arn":"arn:aws:sts::2:assumed-role/r/s"},"credentials":"***"}"#))
        #expect(
            r["request_parameters"]
                == .text(
                    #"{"durationSeconds":3600,"roleArn":"arn:aws:iam::2:role/r","roleSessionName":"s","sourceIdentity":"alice@example.com"}"#
                ))
        #expect(r["source_identity"] == .text("alice@example.com"))
    }

    // SageMaker writes pipeline parameters as name–value pairs and tags as key–value pairs: the
    // name says whether the value is a secret, so the pair is read as a key and its value. (A
    // tag's own name is hidden too: "key" is one of the secret words.)
    @Test("a pipeline's start is kept, and its secret-named parameters' values never reach the ledger")
    func keepsPipelineStartsWithoutSecrets() throws {
        let start = event(
            "p", "sagemaker.amazonaws.com", "StartPipelineExecution",
            extra:
                #","onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:aws:identitystore::1:identitystore/d-1"}"#
        ).replacingOccurrences(
            of: #""recipientAccountId""#,
            with:
                #""requestParameters":{"pipelineName":"churn","pipelineParameters":[{"name":"ApiToken","value":"tok-123"},{"name":"Epochs","value":"5"}],"tags":[{"key":"db_password","value":"hunter2"}]},"responseElements":{"pipelineExecutionArn":"arn:aws:sagemaker:us-east-1:1:pipeline/churn/execution/abc"},"recipientAccountId""#
        )
        let (_, rows, skipped) = try parseTrail(start)
        #expect(skipped == 0)
        let r = try #require(rows.first)
        #expect(r["on_behalf_of_user_id"] == .text("u-1"))
        #expect(
            r["request_parameters"]
                == .text(
                    #"{"pipelineName":"churn","pipelineParameters":[{"name":"ApiToken","value":"***"},{"name":"Epochs","value":"5"}],"tags":[{"key":"***","value":"***"}]}"#
                ))
        let stop = event("q", "sagemaker.amazonaws.com", "StopPipelineExecution")
        #expect(try parseTrail(stop).1.count == 1)
    }

    @Test("digest files and Logstash exports are not CloudTrail logs")
    func recognisesOnlyLogs() {
        #expect(
            !CloudTrailFormat.recognizes(
                HeadSample(lines: [#"{"awsAccountId":"1","digestStartTime":"2025-01-01T00:00:00Z","logFiles":[]}"#])))
        #expect(
            !CloudTrailFormat.recognizes(
                HeadSample(lines: [
                    #"{"@timestamp":"2020-09-14T01:19:40Z","eventVersion":"1.05","eventSource":"ec2.amazonaws.com"}"#
                ])))
        #expect(CloudTrailFormat.recognizes(HeadSample(lines: ["{", "  \"Records\": [", "    {"])))
    }
}
