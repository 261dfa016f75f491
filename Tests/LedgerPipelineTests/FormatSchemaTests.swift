import Foundation
import GRDB
import LedgerFormats
import LedgerModel
import LedgerStore
import LedgerTestSupport
import Testing

/// Every format's rows fit the ledger's schema: the tables a format declares are the schema's
/// staging tables, column for column, and its batches fill only those (a format's tables are
/// declared in its file, created by a migration in `Schema/`; nothing else ties them together).
@Suite("Formats and the schema")
struct FormatSchemaTests {
    /// One input of each format: a file of `samples/` where it has one, else a saved REST answer.
    static func inputs() throws -> [(any LogFormat.Type, [UInt8])] {
        let samples = Fixtures.project + "/samples/"
        let node = "emr-logs/j-1ANALYTICSW47/node/i-0a1b2c3d4e5f60718/applications/"
        let trail = samples + "AWSLogs/111122223333/CloudTrail/us-east-1/2025/11/17/"
        let digests = samples + "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2025/11/17/"
        func first(_ directory: String) throws -> String {
            directory + (try FileManager.default.contentsOfDirectory(atPath: directory).sorted().first ?? "")
        }
        return [
            (CloudTrailFormat.self, try Gunzip.decode(try first(trail))),
            (CloudTrailDigestFormat.self, try Gunzip.decode(try first(digests))),
            (LivyRequestFormat.self, try Gunzip.decode(samples + node + "livy/2025_11_17.request.log.gz")),
            (LivyServerFormat.self, try Gunzip.decode(samples + node + "livy/livy-livy-server.out.gz")),
            (
                LivyRestFormat.self,
                Array(
                    #"{"from":0,"total":1,"sessions":[{"id":3,"name":null,"appId":null,"owner":null,"proxyUser":"bo","state":"idle","kind":"spark","appInfo":{},"log":[]}]}"#
                        .utf8)
            ),
            (
                LivyRestFormat.self,
                Array(
                    #"{"total_statements":1,"statements":[{"id":0,"code":"1","state":"available","output":null,"progress":1.0,"started":1741165500000,"completed":1741165560000}]}"#
                        .utf8)
            ),
            (
                YarnResourceManagerFormat.self,
                try Gunzip.decode(
                    samples + node + "hadoop-yarn/yarn-yarn-resourcemanager-ip-10-0-1-17.ec2.internal.log.gz")
            ),
            (
                SageMakerJobStateFormat.self,
                Array(
                    #"""
                    {"detail-type":"SageMaker Training Job State Change","account":"111122223333","time":"2025-11-21T11:14:32Z","detail":{"TrainingJobName":"j","TrainingJobStatus":"Failed","TrainingEndTime":1763723670000}}
                    {"detail-type":"SageMaker Model Building Pipeline Execution Step Status Change","account":"111122223333","time":"2025-11-21T11:14:33Z","detail":{"stepName":"Train","currentStepStatus":"Failed","metadata":{"trainingJob":{"arn":"arn:aws:sagemaker:us-east-1:111122223333:training-job/j"}},"pipelineExecutionArn":"arn:aws:sagemaker:us-east-1:111122223333:pipeline/p/execution/e"}}
                    """#
                    .utf8)
            ),
            (
                YarnAppListFormat.self,
                Array(
                    """
                    2025-11-19T10:30:00Z
                    Total number of applications (application-types: [], states: [SUBMITTED, ACCEPTED, RUNNING] and tags: []):1
                                    Application-Id\t    Application-Name\t    Application-Type\t      User\t     Queue\t             State\t       Final-State\t       Progress\t                       Tracking-URL
                    application_1763544000000_0007\t      livy-session-3\t               SPARK\t      anna\t   default\t           RUNNING\t         UNDEFINED\t            10%\t                                N/A
                    """.utf8)
            ),
        ]
    }

    /// Every batch `F` makes of `bytes`, whole (the rows taken along the way, and the last ones).
    static func batches<F: LogFormat>(_: F.Type, _ bytes: [UInt8]) throws -> [TableBatch] {
        var parser = F(
            context: ParseContext(
                path: "sessions-3-statements.json", input: InputContext(clusterID: "j-SCHEMA"),
                clock: try LocalTimeConverter(identifier: "UTC")))
        var out: [TableBatch] = []
        if F.inputMode == .bytes {
            bytes.withUnsafeBytes { parser.consume(chunk: $0) }
        } else {
            for (n, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
                Array(line).withUnsafeBytes { parser.consume(lineNumber: n + 1, bytes: $0) }
                out += parser.takeRows()
            }
        }
        return out + parser.finish().batches
    }

    // How this was seen to fail: with `detail` renamed `details` in LivyServerFormat's columns,
    // the livy_event batch named a column the table lacks.
    @Test("every format's batches name a staging table of the schema and only its columns")
    func batchesFitTheSchema() throws {
        let dir = try TemporaryDirectory("ledger-schema")
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        let columns: [String: Set<String>] = try store.read { db in
            var out: [String: Set<String>] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                out[table] = Set(
                    try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table]))
            }
            return out
        }
        var formatsSeen = Set<String>()
        var tablesSeen = Set<String>()
        for (format, bytes) in try Self.inputs() {
            let batches = try Self.batches(format, bytes)
            #expect(!batches.isEmpty, "\(format.name) made no rows of its sample")
            formatsSeen.insert(format.name)
            for batch in batches {
                tablesSeen.insert(batch.table)
                let have = try #require(
                    columns[batch.table], "\(format.name) fills \(batch.table), which the schema lacks")
                // The store adds each row's provenance.
                #expect(have.isSuperset(of: ["file_id", "line"]), "\(batch.table) has no provenance")
                let missing = Set(batch.columns).subtracting(have)
                #expect(
                    missing.isEmpty, "\(format.name) fills \(batch.table).\(missing.sorted()), which the schema lacks")
            }
        }
        // Every format is here (a new one needs an input above), and so is every staging table
        // a format fills (quarantine is the store's own).
        #expect(formatsSeen == Set(FormatRegistry.names))
        #expect(
            tablesSeen == [
                "ct_digest", "ct_digest_file", "ct_event", "livy_event", "livy_request", "livy_rest_session",
                "livy_statement", "sagemaker_job_state", "sagemaker_pipeline_state", "yarn_app", "yarn_app_containers",
                "yarn_app_listing",
                "yarn_audit",
            ])
    }

    /// The schema's columns of each table, and the columns of its unique indexes.
    static func schema() throws -> (columns: [String: [String]], unique: [String: Set<String>], staging: [String]) {
        let dir = try TemporaryDirectory("ledger-schema")
        defer { dir.remove() }
        let store = try LedgerStore(path: dir.path + "/l.sqlite")
        return try store.read { db in
            var columns: [String: [String]] = [:]
            var unique: [String: Set<String>] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") {
                columns[table] = try String.fetchAll(
                    db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
                for index in try Row.fetchAll(
                    db, sql: "SELECT name FROM pragma_index_list(?) WHERE \"unique\"", arguments: [table])
                {
                    let named: [String] = try String.fetchAll(
                        db, sql: "SELECT name FROM pragma_index_info(?)", arguments: [index["name"] as String])
                    if named.count == 1 { unique[table, default: []].insert(named[0]) }
                }
            }
            return (columns, unique, store.stagingTables)
        }
    }

    // How this was seen to fail (the three at once): with livy_rest_session's `kind` declared
    // as `kinds`, its columns were not the schema's; with livy_request declaring `cluster_id` its
    // natural key, that had no unique index (and the list of natural keys changed); with
    // livy_statement left out of LivyRestFormat.tables, the store had a staging table no format
    // declares.
    @Test("each declared staging table is the schema's, column for column, its natural key unique")
    func declaredTablesAreTheSchemas() throws {
        let (columns, unique, staging) = try Self.schema()
        let declared = FormatRegistry.stagingTables
        #expect(
            Set(declared.map(\.name) + ["quarantine"]) == Set(staging),
            "the store's staging tables: the formats' and its own")
        for table in declared {
            // The inserts name their columns: the order is the format's, the set the schema's.
            #expect(Set(table.columns).count == table.columns.count, "\(table.name) declares a column twice")
            #expect(Set(columns[table.name] ?? []) == Set(["file_id", "line"] + table.columns), "\(table.name)")
            if let key = table.naturalKey {
                #expect(unique[table.name]?.contains(key) == true, "\(table.name).\(key) is not unique")
            }
        }
        // The natural keys the store relies on (take-over by the smaller path) are declared.
        #expect(
            declared.filter { $0.naturalKey != nil }.map { "\($0.name).\($0.naturalKey!)" } == [
                "ct_event.event_id", "yarn_app.app_id",
            ])
    }
}
