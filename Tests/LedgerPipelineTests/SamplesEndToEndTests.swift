import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// The bundled scenario, end to end: `samples/` ingested through its own config, every session
/// compared with `samples/expected/sessions.json`, which `samples/generate.py` computed from
/// its model with SPEC §4's definitions — Python that shares no code with the pipeline.
@Suite("samples/: the pipeline agrees with the generator's answers")
struct SamplesEndToEndTests {
    static let samples = Fixtures.project + "/samples"

    static let ledger = Task { () throws -> TemporaryDirectory in
        let dir = try TemporaryDirectory.removedAtExit("ledger-samples")
        let config = try Configuration.load(path: samples + "/session-ledger.toml")
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        _ = try await Ingestor(store: store, configuration: config).ingest(config.inputs)
        return dir
    }

    static func expected() throws -> [[String: JSONValue]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: samples + "/expected/sessions.json"))
        return try JSONDecoder().decode([[String: JSONValue]].self, from: data)
    }

    enum JSONValue: Decodable, Equatable, CustomStringConvertible {
        case null
        case int(Int64)
        case double(Double)
        case string(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let i = try? c.decode(Int64.self) {
                self = .int(i)
            } else if let d = try? c.decode(Double.self) {
                self = .double(d)
            } else {
                self = .string(try c.decode(String.self))
            }
        }
        var description: String {
            switch self {
            case .null: "null"
            case .int(let i): "\(i)"
            case .double(let d): "\(d)"
            case .string(let s): s
            }
        }
    }

    @Test("every session of the scenario, every column the generator worked out")
    func matchesExpectedSessions() async throws {
        let dir = try await Self.ledger.value
        let expected = try Self.expected()
        #expect(expected.count == 21)
        let rows: [String: [String: JSONValue]] = try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            var out: [String: [String: JSONValue]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM session") {
                var values: [String: JSONValue] = [:]
                for column in row.columnNames {
                    switch (row[column] as DatabaseValue).storage {
                    case .null: values[column] = .null
                    case .int64(let i): values[column] = .int(i)
                    case .double(let d): values[column] = .double(d)
                    case .string(let s): values[column] = .string(s)
                    case .blob: values[column] = .string("<blob>")
                    }
                }
                out[row["session_key"]] = values
            }
            return out
        }
        #expect(rows.count == expected.count)
        for session in expected {
            guard case .string(let key) = session["session_key"] else {
                Issue.record("no key")
                continue
            }
            guard let row = rows[key] else {
                Issue.record("session \(key) not derived")
                continue
            }
            for (column, want) in session {
                let have = row[column] ?? .null
                switch (want, have) {
                case (.double(let w), .double(let h)): #expect(abs(w - h) < 1e-5, "\(key) \(column): \(h) ≠ \(w)")
                case (.double(let w), .int(let h)): #expect(abs(w - Double(h)) < 1e-5, "\(key) \(column): \(h) ≠ \(w)")
                case (.int(let w), .double(let h)):
                    #expect(abs(Double(w) - h) < 1e-5, "\(key) \(column): \(h) ≠ \(w)")  // JSON 0.0 reads as 0
                default: #expect(want == have, "\(key) \(column): \(have) ≠ \(want)")
                }
            }
        }
    }

    @Test("the scenario's anomalies are found: the cut file, the duplicates, the gap, the forbidden background")
    func findsTheAnomalies() async throws {
        let dir = try await Self.ledger.value
        let (statuses, duplicates, codes) = try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            (
                try String.fetchAll(db, sql: "SELECT status FROM input_file WHERE status != 'ok' ORDER BY status"),
                try Int.fetchOne(db, sql: "SELECT sum(duplicates) FROM input_file") ?? 0,
                try String.fetchAll(db, sql: "SELECT DISTINCT code FROM finding ORDER BY code")
            )
        }
        #expect(statuses == ["truncated"])  // one CloudTrail file cut in transit
        #expect(duplicates == 3)  // three sign-ins delivered twice
        // No background run reaches the 7-day limit, so no background_over_limit.
        #expect(
            codes == [
                "coverage_gap", "cross_account_role", "identity_missing", "identity_unresolved", "job_cut_by_session",
                "orphaned_yarn_app", "policy_change", "start_starved", "uncapped_session_on_shared_cluster",
                "unexpected_background", "unverified_logs",
            ])
    }

    /// One application of a saved listing, as `generate.py` placed it, and the orphan it is if
    /// its Livy session had ended before the listing.
    struct Listed: Decodable {
        struct Orphan: Decodable {
            let sessionKey: String
            let endedAt: String
            let endReason: String
            let afterS: Int
            let costSoFarUsd: Double?
        }
        let clusterId: String
        let listedAt: String
        let appId: String
        let user: String
        let evidence: String
        let orphan: Orphan?
    }

    @Test("the saved `yarn application -list` output: every application at its time, and the orphan the generator made")
    func listingsAndOrphans() async throws {
        let dir = try await Self.ledger.value
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.samples + "/expected/yarn_app_listing.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let expected = try decoder.decode([Listed].self, from: data)
        #expect(expected.count == 2)
        #expect(expected.filter { $0.orphan != nil }.count == 1)
        let (listed, orphans) = try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            (
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT l.cluster_id, l.listed_at, l.app_id, l.user, f.path || ':' || l.line AS evidence
                        FROM yarn_app_listing l JOIN input_file f ON f.id = l.file_id ORDER BY l.listed_at DESC
                        """),
                try Row.fetchAll(
                    db, sql: "SELECT subject, detail, evidence FROM finding WHERE code = 'orphaned_yarn_app'")
            )
        }
        #expect(listed.count == expected.count)
        for (row, want) in zip(listed, expected.sorted { $0.listedAt > $1.listedAt }) {
            #expect(row["cluster_id"] == want.clusterId)
            // Stored with milliseconds, as every staging instant; the generator writes whole seconds.
            #expect((row["listed_at"] as String).replacingOccurrences(of: ".000Z", with: "Z") == want.listedAt)
            #expect(row["app_id"] == want.appId)
            #expect(row["user"] == want.user)
            #expect((row["evidence"] as String).hasSuffix("/samples/" + want.evidence))
        }
        let want = expected.compactMap { listed in listed.orphan.map { (listed, $0) } }
        #expect(orphans.count == want.count)
        for (row, (listed, orphan)) in zip(orphans, want) {
            #expect(row["subject"] == listed.appId)
            let detail: String = row["detail"]
            #expect(
                detail.contains(orphan.sessionKey + " ended at " + orphan.endedAt + " (" + orphan.endReason + ")"))
            #expect(detail.contains("at \(listed.listedAt), \(orphan.afterS) s later"))
            let cost = try #require(orphan.costSoFarUsd)
            #expect(detail.contains("(about $" + String(format: "%.4f", cost) + " since, at the session's rate)"))
            #expect((row["evidence"] as String).hasSuffix("/samples/" + listed.evidence))
        }
    }

    /// A shared-cluster finding as `generate.py` works it out, pair by pair: the other users an
    /// uncapped session ran beside, or how a start went and the uncapped sessions that held the
    /// cluster then.
    struct SharedClusterFinding: Decodable {
        let code: String
        let subject: String
        let others: [String]?
        let how: String?
        let holders: [String]?
        let peakContainers: Int?
        let peakVcores: Int?
    }

    @Test(
        "shared clusters: bob's uncapped Glue session and the three starts behind it, dan's beside carol, none where the cluster caps"
    )
    func sharedClusters() async throws {
        let dir = try await Self.ledger.value
        let data = try Data(
            contentsOf: URL(fileURLWithPath: Self.samples + "/expected/shared_cluster_findings.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let expected = try decoder.decode([SharedClusterFinding].self, from: data)
        #expect(expected.count == 5)
        let found = try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT code, subject, detail, evidence FROM finding
                    WHERE code IN ('uncapped_session_on_shared_cluster', 'start_starved') ORDER BY code, subject
                    """)
        }
        #expect(found.map { [$0["code"], $0["subject"]] as [String] } == expected.map { [$0.code, $0.subject] })
        for (row, want) in zip(found, expected) {
            let detail: String = row["detail"]
            let who = "'s session " + want.subject + " "
            #expect(detail.contains(who), "\(detail)")
            if let containers = want.peakContainers, let vcores = want.peakVcores {
                #expect(
                    detail.contains(", holding up to \(containers) containers (\(vcores) vCores) while "), "\(detail)")
            } else if want.others != nil {
                #expect(!detail.contains("holding up to"), "\(detail)")
            }
            if let others = want.others {
                #expect(detail.contains("while other users' sessions ran: " + others.joined(separator: ", ") + ";"))
            }
            if let how = want.how, let holders = want.holders {
                #expect(detail.contains(want.subject + " " + how + " while "), "\(detail)")
                for holder in holders { #expect(detail.contains("'s " + holder + " (ready "), "\(detail)") }
                #expect((row["evidence"] as String).components(separatedBy: "; ").count == 1 + holders.count)
            }
        }
    }

    /// How a SageMaker job ended, as `generate.py` wrote it.
    struct JobEnd: Decodable {
        let jobName: String
        let endedAt: String
        let endStatus: String
        let failureReason: String?
        let endEvidence: String
        let userName: String
        let identityStatus: String
        let sessionLimitS: Int
        let pipelineExecutionArn: String?
        let pipelineStep: String?
    }

    struct Jobs: Decodable {
        let jobs: [JobEnd]
        let cuts: [String]
    }

    struct PipelineExecution: Decodable {
        let executionArn: String
        let pipelineName: String
        let startedAt: String
        let endedAt: String
        let status: String
        let failureReason: String?
        let userName: String
        let identityStatus: String
        let jobs: Int
        let endEvidence: String
    }

    /// `EventBridge samples/<path>:<line>` as the generator writes it, against the ledger's
    /// evidence (whose path is where the test copied the samples).
    func sameEvidence(_ have: String?, _ want: String) -> Bool {
        let (source, path) = (want.prefix { $0 != " " }, want.drop { $0 != " " }.dropFirst())
        guard let have else { return false }
        return have.hasPrefix(source + " ") && have.hasSuffix("/samples/" + path.dropFirst(8))
    }

    @Test(
        "SageMaker jobs: whose, their limits, how each ended, on what evidence; the cuts by erin's logout, none of alice's or frank's"
    )
    func sageMakerJobEnds() async throws {
        let dir = try await Self.ledger.value
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.samples + "/expected/sagemaker_jobs.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let expected = try decoder.decode(Jobs.self, from: data)
        #expect(expected.jobs.count == 5)
        let (jobs, cuts) = try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            (
                try Row.fetchAll(db, sql: "SELECT * FROM sagemaker_job ORDER BY created_at"),
                try Row.fetchAll(
                    db, sql: "SELECT subject, detail FROM finding WHERE code = 'job_cut_by_session' ORDER BY subject")
            )
        }
        #expect(jobs.map { $0["job_name"] as String } == expected.jobs.map(\.jobName))
        for (row, want) in zip(jobs, expected.jobs) {
            #expect(row["ended_at"] == want.endedAt)
            #expect(row["end_status"] == want.endStatus)
            #expect(row["failure_reason"] == want.failureReason)
            #expect(row["user_name"] == want.userName && row["identity_status"] == want.identityStatus)
            #expect(row["session_limit_s"] == want.sessionLimitS, "\(want.jobName)")
            #expect(row["pipeline_execution_arn"] == want.pipelineExecutionArn)
            #expect(row["pipeline_step"] == want.pipelineStep)
            #expect(sameEvidence(row["end_evidence"], want.endEvidence), "\(row["end_evidence"] as String? ?? "")")
        }
        #expect(cuts.map { $0["subject"] as String } == expected.cuts)
        let detail = Dictionary(uniqueKeysWithValues: cuts.map { ($0["subject"] as String, $0["detail"] as String) })
        #expect(detail["risk-scoring"]?.contains("870 s after the user's sign-in ended") == true)
        #expect(
            detail["pipelines-r5t8w1y3u6i9-BuildFeatures-Zx4cV6bN8m"]?.contains(
                "720 s after the user's sign-in ended") == true)
        #expect(
            detail["pipelines-r5t8w1y3u6i9-BuildFeatures-Zx4cV6bN8m"]?.hasSuffix(
                "it ran step BuildFeatures of pipeline risk-features (execution "
                    + "arn:aws:sagemaker:us-east-1:111122223333:pipeline/risk-features/execution/r5t8w1y3u6i9) that the "
                    + "user started") == true)
    }

    @Test("SageMaker Pipelines executions: who started each, its jobs, how it ended, on what evidence")
    func sageMakerPipelines() async throws {
        let dir = try await Self.ledger.value
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.samples + "/expected/sagemaker_pipelines.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let expected = try decoder.decode([PipelineExecution].self, from: data)
        #expect(expected.count == 2)
        let rows = try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sagemaker_pipeline_execution ORDER BY started_at")
        }
        #expect(rows.map { $0["execution_arn"] as String } == expected.map(\.executionArn))
        for (row, want) in zip(rows, expected) {
            #expect(row["pipeline_name"] == want.pipelineName && row["status"] == want.status)
            #expect(row["started_at"] == want.startedAt && row["ended_at"] == want.endedAt)
            #expect(row["failure_reason"] == want.failureReason && row["jobs"] == want.jobs)
            #expect(row["user_name"] == want.userName && row["identity_status"] == want.identityStatus)
            #expect(sameEvidence(row["end_evidence"], want.endEvidence), "\(row["end_evidence"] as String? ?? "")")
        }
    }

    // The samples put `sample-not-a-secret` in every Livy create line's conf (a `secret.key`), in
    // the SageMaker jobs' hyperparameters (an `api_token`) and environments (`API_TOKEN`), and in
    // the pipelines' `ApiToken` parameter (a name–value pair); STS credentials in the trail.
    // How this was seen to fail: with the Livy conf's redaction off, livy_event.conf held it.
    @Test("no secret of samples/ reaches any cell of the ledger")
    func noSecretInTheLedger() async throws {
        let dir = try await Self.ledger.value
        let found = try await DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            var found: [String] = []
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"") {
                    for column in row.columnNames {
                        guard case .string(let text) = (row[column] as DatabaseValue).storage else { continue }
                        if text.contains("sample-not-a-secret") || text.contains("sample-session-token") {
                            found.append("\(table).\(column)")
                        }
                    }
                }
            }
            return found
        }
        #expect(found.isEmpty, "\(found)")
    }

    /// An hour of a cluster as `generate.py` works it out by brute force.
    struct ClusterHour: Decodable {
        let clusterId: String
        let hour: String
        let maxConcurrentUsers: Int
        let topUser: String?
        let topUserVcoreSeconds: Double?
    }

    @Test(
        "every hour of every cluster: the most users at once and who held the most vCores, as the generator counts them"
    )
    func clusterHours() async throws {
        let dir = try await Self.ledger.value
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.samples + "/expected/cluster_hours.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let expected = try decoder.decode([ClusterHour].self, from: data)
        #expect(expected.count > 100)
        let rows = try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cluster_hour ORDER BY cluster_id, hour")
        }
        #expect(rows.count == expected.count)
        for (row, want) in zip(rows, expected) {
            let what = "\(want.clusterId) \(want.hour)"
            #expect(row["cluster_id"] == want.clusterId, "\(what)")
            #expect(row["hour"] == want.hour, "\(what)")
            #expect(row["max_concurrent_users"] == want.maxConcurrentUsers, "\(what)")
            #expect(row["top_user"] == want.topUser, "\(what)")
            let held: Double? = row["top_user_vcore_seconds"]
            #expect(abs((held ?? -1) - (want.topUserVcoreSeconds ?? -1)) < 1e-4, "\(what): \(held ?? -1)")
        }
    }

    @Test("samples/ is exactly what generate.py writes (re-run it after changing the scenario)")
    func samplesAreGenerated() throws {
        let dir = try TemporaryDirectory("ledger-regenerate")
        defer { dir.remove() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.samples + "/generate.py", "--out", dir.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let fresh = try FileManager.default.subpathsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix("/") }.sorted()
        for file in fresh {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.path + "/" + file, isDirectory: &isDirectory),
                !isDirectory.boolValue
            else { continue }
            let a = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/" + file))
            let b = try? Data(contentsOf: URL(fileURLWithPath: Self.samples + "/" + file))
            #expect(a == b, "\(file) differs from the committed samples/")
        }
    }
}
