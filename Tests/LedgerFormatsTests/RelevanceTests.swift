import Foundation
import LedgerFormats
import LedgerTestSupport
import Testing

/// Which CloudTrail records are kept is defined once, in `relevance.json`.
///
/// The Swift prefilter compiles it in; the scale-out job reads it (`scale-out/cloudtrail_extract.py`).
/// They must never keep different records: a copy of the definition in either would show here
/// as a disagreement.
@Suite("CloudTrail relevance: one definition, and the Swift and Python filters agree on every record")
struct RelevanceTests {
    static let project = Fixtures.project

    @Test("the compiled-in definition is the file's")
    func definition() throws {
        let data = try Data(
            contentsOf: URL(fileURLWithPath: Self.project + "/Sources/LedgerFormats/CloudTrail/relevance.json"))
        let file = try #require(CloudTrailRelevance.parse(data))
        #expect(CloudTrailRelevance.definition == file)
        #expect(file.sources["sts.amazonaws.com"]?.contains("AssumeRole") == true)
        #expect(file.sources["signin.amazonaws.com"] == ["*"])
        #expect(file.keepIfPresent == ["onBehalfOf", "sourceIdentity"])
    }

    /// Hand-made records at the edges of the rule, with the decision worked out for each.
    static let edges: [(String, Bool)] = [
        (#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole"}"#, true),
        (#"{"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity"}"#, false),
        // Whitespace around the colon; a source whose every name is kept.
        (#"{"eventSource" : "signin.amazonaws.com" , "eventName": "Anything"}"#, true),
        // An irrelevant event made by an identity-enhanced session.
        (
            #"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"onBehalfOf":{"userId":"u"}}}"#,
            true
        ),
        (
            #"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"sourceIdentity":"a"}}"#,
            true
        ),
        // The key's name inside a string is not the key.
        (
            #"{"eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{"note":"\"onBehalfOf\" x"}}"#,
            false
        ),
        // Names are compared as written: an escaped letter is another name.
        (#"{"eventSource":"sts.amazonaws.com","eventName":"Assume\u0052ole"}"#, false),
        (#"{"eventName":"AssumeRole"}"#, false),
        (#"{"eventSource":7,"eventName":"AssumeRole"}"#, false),
        (#"{"eventSource":"sts.amazonaws.com","eventName":"Assumé"}"#, false),
        // A longer key that begins like the wanted one is not it.
        (#"{"eventSourceX":"sts.amazonaws.com","eventSource":"sso.amazonaws.com","eventName":"X"}"#, true),
    ]

    @Test(
        "the Swift prefilter and scale-out/cloudtrail_extract.py decide the same on every record of samples/ and the edges"
    )
    func agree() throws {
        var records: [[UInt8]] = Self.edges.map { Array($0.0.utf8) }
        let trail = Self.project + "/samples/AWSLogs/111122223333/CloudTrail/us-east-1/"
        for day in try FileManager.default.subpathsOfDirectory(atPath: trail).sorted() where day.hasSuffix(".json.gz") {
            guard let document = try? JSONSerialization.jsonObject(with: Data(try Gunzip.decode(trail + day))),
                let list = (document as? [String: Any])?["Records"] as? [Any]
            else { continue }
            for record in list {
                records.append(Array(try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])))
            }
        }
        let swift = records.map { r in r.withUnsafeBytes { CloudTrailFormat.keeps($0) } }
        #expect(zip(swift, Self.edges).allSatisfy { $0 == $1.1 }, "the edges: \(Array(swift.prefix(Self.edges.count)))")
        // Both decisions occur, or agreeing would prove nothing.
        #expect(swift.contains(true) && swift.contains(false) && records.count > 100)

        let dir = try TemporaryDirectory("ledger-relevance")
        defer { dir.remove() }
        let lines = records.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") + "\n"
        try dir.write("records.jsonl", lines)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.project + "/scale-out/cloudtrail_extract.py", "keeps", dir.path + "/records.jsonl",
        ]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let python = text.split(separator: "\n").map { $0 == "1" }
        #expect(python.count == records.count)
        let disagreements = zip(swift, python).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(
            disagreements.isEmpty,
            "they disagree on \(disagreements.count) record(s), first: \(disagreements.first.map { lines.split(separator: "\n")[$0] } ?? "")"
        )
    }

    /// Which definition each parser revision kept: a tripwire, not a result.
    ///
    /// Files stored by an earlier revision are read again (an extract's too), so a change to
    /// `relevance.json` must come with a new `CloudTrailFormat.revision`; this pins the file's
    /// SHA-256 to the revision it belongs to, and fails on any edit until both move together.
    static let definitionOfRevision: [Int: String] = [
        3: "0994bccb37175fed0fa885fd1ea36cb49caa57409c9ba1630aca81c96870fc12"
    ]

    @Test("a change to relevance.json comes with a new CloudTrail parser revision")
    func revisionFollowsDefinition() throws {
        let file = try Data(
            contentsOf: URL(fileURLWithPath: Self.project + "/Sources/LedgerFormats/CloudTrail/relevance.json"))
        #expect(Array(file) == CloudTrailRelevance.fileBytes)
        let digest = try sha256sum(Array(file))
        #expect(
            Self.definitionOfRevision[CloudTrailFormat.revision] == digest,
            "relevance.json is \(digest): raise CloudTrailFormat.revision and pin the new digest here")
    }
}
