import Foundation
import LedgerTestSupport
import Testing

/// `findings.ocsf.json` against the OCSF 1.1.0 schema of the two finding classes
/// (`Tests/OCSF/ocsf-1.1.0-findings.schema.json`, with its source in its `$comment`), checked
/// by the Python `jsonschema` validator (`.ci/run` installs it).
@Suite("findings.ocsf.json: OCSF records Security Hub and Security Lake take")
struct OCSFTests {
    static let schema = Fixtures.project + "/Tests/OCSF/ocsf-1.1.0-findings.schema.json"

    /// Validates `document`; returns the validator's exit status and what it said.
    static func validate(_ document: String) throws -> (Int32, String) {
        let script = """
            import json, sys
            from jsonschema import Draft202012Validator
            schema = json.load(open(sys.argv[1]))
            Draft202012Validator.check_schema(schema)
            errors = list(Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
            for e in errors[:10]:
                print("/".join(map(str, e.path)), e.message[:200])
            sys.exit(1 if errors else 0)
            """
        let r = try CLI.python(["-c", script, schema, document])
        return (r.status, r.stdout + r.stderr)
    }

    func records() async throws -> (String, [[String: Any]]) {
        let path = try await BrowserTests.demo.value.path + "/demo/findings.ocsf.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return (path, try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]]))
    }

    @Test("the demo's findings validate against the schema, one record per row of findings.csv")
    func validates() async throws {
        let (path, records) = try await records()
        let (status, said) = try Self.validate(path)
        #expect(status == 0, "\(said)")
        let csv = try String(
            contentsOfFile: (path as NSString).deletingLastPathComponent + "/findings.csv", encoding: .utf8)
        #expect(records.count == csv.split(separator: "\r\n").count - 1)
    }

    // erin's pipeline job, cut by her logout (samples/README.md): a Detection Finding, medium,
    // whose evidence is its CreateProcessingJob event, the EventBridge file's lines 17 and 18
    // (the job's failure and its step's), and the StartPipelineExecution event.
    @Test("classes, severities and evidence: a policy breach is a failed compliance check, a cut job a detection")
    func mapping() async throws {
        let (_, records) = try await records()
        func first(_ code: String) -> [String: Any]? {
            records.first { (($0["finding_info"] as? [String: Any])?["types"] as? [String])?.first == code }
        }
        let breach = try #require(first("unexpected_background"))
        #expect(breach["class_uid"] as? Int == 2003 && breach["type_uid"] as? Int == 200301)
        #expect(breach["severity_id"] as? Int == 4 && breach["severity"] as? String == "High")
        #expect((breach["compliance"] as? [String: Any])?["status_id"] as? Int == 3)
        let cut = try #require(
            records.first {
                (($0["resources"] as? [[String: Any]])?.first?["uid"] as? String)
                    == "pipelines-r5t8w1y3u6i9-BuildFeatures-Zx4cV6bN8m"
            })
        let uid = (cut["finding_info"] as? [String: Any])?["uid"] as? String
        #expect(uid?.hasPrefix("session-ledger:job_cut_by_session:") == true)
        #expect(cut["class_uid"] as? Int == 2004 && cut["severity_id"] as? Int == 3)
        #expect(cut["compliance"] == nil)
        let observables = try #require(cut["observables"] as? [[String: Any]])
        let byName = Dictionary(grouping: observables) { $0["name"] as? String ?? "" }.mapValues {
            $0.compactMap { $0["value"] as? String }
        }
        #expect(
            (cut["resources"] as? [[String: Any]])?.first?["uid"] as? String
                == "pipelines-r5t8w1y3u6i9-BuildFeatures-Zx4cV6bN8m")
        #expect(byName["evidence.cloudtrail_event_uid"]?.count == 2)
        let lines = byName["evidence.log_line"] ?? []
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("/sagemaker/events/") })
        #expect(lines.map { $0.split(separator: ":").last.map(String.init) ?? "" } == ["17", "18"])
    }

    // The schema must be able to refuse: a Compliance Finding without its compliance object, and
    // a record with an attribute OCSF does not define.
    @Test("the schema refuses a record that lacks a required object or has an unknown attribute")
    func refuses() async throws {
        let (_, records) = try await records()
        let dir = try TemporaryDirectory("ledger-ocsf")
        defer { dir.remove() }
        var missing = records
        let index = try #require(missing.firstIndex { $0["class_uid"] as? Int == 2003 })
        missing[index]["compliance"] = nil
        var unknown = records
        unknown[0]["severityid"] = 3
        for (name, document) in [("missing", missing), ("unknown", unknown)] {
            let path = dir.path + "/\(name).json"
            try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
            let (status, said) = try Self.validate(path)
            #expect(status == 1, "\(name): \(said)")
        }
    }
}
