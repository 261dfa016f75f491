import Foundation
import GRDB
import LedgerModel
import LedgerPipeline
import LedgerStore
import LedgerTestSupport
import Testing

/// The scale-out job (`scale-out/cloudtrail_extract.py`), run on real Spark, gives the ledger
/// the trail itself gives.
///
/// It runs on `local[2]` over the samples' trail and a generated organisation trail
/// (`Tests/ScaleOut/org_trail.py`: two accounts, two regions, a cut gzip, a broken record,
/// pretty-printed and plain files, a duplicate delivery, rejected records, odd times, digests
/// with one wrong hash). The ledger ingested from its extract, with the digests synced
/// directly, must be the ledger ingested from the trail files themselves.
@Suite("scale-out: the trail filtered on Spark gives the ledger the trail itself gives", .serialized)
struct ScaleOutTests {
    static let project = Fixtures.project

    struct Ledgers {
        let dir: TemporaryDirectory
        var raw: String { dir.path + "/raw.sqlite" }
        var extracted: String { dir.path + "/extract.sqlite" }
        var extract: String { dir.path + "/extract" }
    }

    /// Runs a command with its output in files (Spark's log is long), and says how it ended.
    static func run(_ arguments: [String], log: String) throws -> (status: Int32, log: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(text.suffix(3000)))
    }

    static func config(_ dir: TemporaryDirectory, _ name: String, trail: [String]) throws
        -> LedgerPipeline.Configuration
    {
        let samples = project + "/samples"
        let inputs = trail.map { "[[inputs]]\npath = \"\($0)\"\n" }.joined()
        let text = """
            timezone = "UTC"
            [[inputs]]
            path = "\(samples)/emr-logs"
            [[inputs]]
            path = "\(samples)/glue"
            cluster = "glue-dev-shared"
            timezone = "America/New_York"
            [[inputs]]
            path = "\(samples)/sagemaker"
            \(inputs)
            [identities]
            file = "\(samples)/identities.csv"
            [[clusters]]
            id = "j-1ANALYTICSW47"
            max_executors = 8
            [[clusters]]
            id = "glue-dev-shared"
            account = "444455556666"
            """
        return try LedgerPipeline.Configuration.load(path: try dir.write(name, text))
    }

    static let ledgers = Task { () throws -> Ledgers in
        let dir = try TemporaryDirectory.removedAtExit("ledger-scale-out")
        let org = dir.path + "/org"
        let made = try run(["python3", project + "/Tests/ScaleOut/org_trail.py", org], log: dir.path + "/org.log")
        guard made.status == 0 else { throw Failure("org_trail.py failed:\n\(made.log)") }
        let spark = try run(
            [
                "python3", project + "/scale-out/cloudtrail_extract.py", "--master", "local[2]",
                project + "/samples/AWSLogs", org + "/AWSLogs", "--output", dir.path + "/extract",
            ], log: dir.path + "/spark.log")
        guard spark.status == 0 else { throw Failure("the Spark job failed:\n\(spark.log)") }

        let samplesTrail = project + "/samples/AWSLogs"
        let raw = try config(dir, "raw.toml", trail: [samplesTrail, org + "/AWSLogs"])
        let ledgers = Ledgers(dir: dir)
        _ = try await Ingestor(store: try LedgerStore(path: ledgers.raw), configuration: raw).ingest(raw.inputs)
        let digests = [
            samplesTrail + "/111122223333/CloudTrail-Digest",
            org + "/AWSLogs/o-exampleorg1/222233334444/CloudTrail-Digest",
            org + "/AWSLogs/o-exampleorg1/555566667777/CloudTrail-Digest",
        ]
        let extracted = try config(dir, "extract.toml", trail: digests + [ledgers.extract])
        _ = try await Ingestor(store: try LedgerStore(path: ledgers.extracted), configuration: extracted).ingest(
            extracted.inputs)
        return ledgers
    }

    /// Ingests `paths` into the ledger at `database` with the default settings, as `ingest` does.
    @discardableResult
    static func ingest(_ paths: [String], into database: String) async throws -> IngestSummary {
        try await Ingestor(store: try LedgerStore(path: database), configuration: .init()).ingest(
            paths.map { .init(path: $0) })
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// Every row of every ledger table, as text that does not depend on where the trail was read
    /// from.
    ///
    /// A file id becomes its file's path, a path is cut to its `AWSLogs/…` key (the raw ingest
    /// read local paths, the extract names `file:` URLs), and the extract's own part files are
    /// left out. Row ids, mtimes (Spark reports milliseconds), settings and counters are not
    /// compared.
    static func tables(_ path: String) throws -> [String: [String]] {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            var paths: [Int64: String] = [:]
            var parts = Set<Int64>()
            for r in try Row.fetchAll(db, sql: "SELECT id, path, format FROM input_file") {
                paths[r["id"]] = r["path"]
                if (r["format"] as String?) == CloudTrailNames.extractFormat { parts.insert(r["id"]) }
            }
            let names = try String.fetchAll(
                db,
                sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                    AND name NOT IN ('meta', 'ingest_setting', 'grdb_migrations') ORDER BY name
                    """)
            let evidence = try NSRegularExpression(pattern: #"\b([a-z_]+) ([0-9]+):"#)
            let key = try NSRegularExpression(pattern: #"[^ ;,()"]*?/AWSLogs/"#)
            func normal(_ text: String) -> String {
                var s = text
                for m in evidence.matches(in: s, range: NSRange(s.startIndex..., in: s)).reversed() {
                    guard let id = Int64((s as NSString).substring(with: m.range(at: 2))), let p = paths[id],
                        names.contains((s as NSString).substring(with: m.range(at: 1)))
                    else { continue }
                    s = (s as NSString).replacingCharacters(in: m.range(at: 2), with: p)
                }
                return key.stringByReplacingMatches(
                    in: s, range: NSRange(s.startIndex..., in: s), withTemplate: "AWSLogs/")
            }
            func cell(_ column: String, _ value: DatabaseValue) -> String {
                switch value.storage {
                case .null: return "NULL"
                case .int64(let i): return column == "file_id" ? paths[i] ?? "?" : String(i)
                case .double(let d): return String(d)
                case .string(let s): return s
                case .blob(let b): return "blob:\(b.count)"
                }
            }
            var out: [String: [String]] = [:]
            for name in names {
                var rows: [String] = []
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(name)") {
                    if let file = row["file_id"] as Int64?, parts.contains(file) { continue }
                    if name == "input_file", parts.contains(row["id"]) { continue }
                    var cells: [String] = []
                    for (column, value) in row where !(name == "input_file" && ["id", "mtime_ns"].contains(column)) {
                        cells.append("\(column)=\(normal(cell(column, value)))")
                    }
                    rows.append(cells.joined(separator: " | "))
                }
                out[name] = rows.sorted()
            }
            return out
        }
    }

    @Test(
        "every ledger table is the same: input files, ct_event rows, quarantine, sessions, identities, findings, digests"
    )
    func sameLedger() async throws {
        let ledgers = try await Self.ledgers.value
        let raw = try Self.tables(ledgers.raw)
        let extracted = try Self.tables(ledgers.extracted)
        #expect(raw.keys.sorted() == extracted.keys.sorted())
        for (table, rows) in raw.sorted(by: { $0.key < $1.key }) {
            let other = extracted[table] ?? []
            let missing = Set(rows).subtracting(other).sorted().prefix(3)
            let extra = Set(other).subtracting(rows).sorted().prefix(3)
            #expect(
                rows == other,
                "\(table): \(rows.count) rows from the trail, \(other.count) from the extract; only from the trail: \(missing); only from the extract: \(extra)"
            )
        }
        // What makes the comparison worth making: the trail's odd files, its duplicates,
        // rejects and findings are all there on both sides.
        let files = raw["input_file"] ?? []
        #expect(files.filter { $0.contains("status=truncated") }.count == 2)
        #expect(files.contains { $0.contains("oneBrokenRecord0") && $0.contains("rejected=1") })
        #expect(raw["ct_event"]?.count ?? 0 > 200)
        #expect(raw["quarantine"]?.count ?? 0 >= 4)
        #expect(raw["finding"]?.contains { $0.contains("code=unverified_logs") && $0.contains("555566667777") } == true)
        #expect(raw["ct_file_digest"]?.contains { $0.contains("digest_status=mismatch") } == true)
        #expect(raw["ct_file_digest"]?.contains { $0.contains("digest_status=verified") } == true)
    }

    @Test("data_quality.csv lists the trail's files under their source paths, not the extract's part files")
    func dataQuality() async throws {
        let ledgers = try await Self.ledgers.value
        let sql = try String(contentsOfFile: Self.project + "/Queries/data_quality.sql", encoding: .utf8)
        func rows(_ path: String) throws -> [String] {
            try DatabaseQueue(path: path).read { db in
                try Row.fetchAll(db, sql: sql).map { row in
                    row.databaseValues.map { "\($0)" }.joined(separator: ",")
                        .replacingOccurrences(of: "file:" + Self.project + "/samples/", with: "")
                        .replacingOccurrences(of: "file:" + ledgers.dir.path + "/", with: "")
                        .replacingOccurrences(of: Self.project + "/samples/", with: "")
                        .replacingOccurrences(of: ledgers.dir.path + "/", with: "")
                }
            }
        }
        // Sorted here: the query orders by path, and the two ledgers' paths begin differently.
        let raw = try rows(ledgers.raw).sorted()
        let extracted = try rows(ledgers.extracted).sorted()
        #expect(raw.count > 380)
        #expect(raw == extracted, "\(Set(raw).symmetricDifference(extracted).sorted().prefix(4))")
    }

    @Test("verify reads the extract's manifest lines as it reads the trail's files: the same report")
    func verify() async throws {
        let ledgers = try await Self.ledgers.value
        let org = ledgers.dir.path + "/org/AWSLogs"
        let samples = Self.project + "/samples/AWSLogs"
        let raw = try DigestVerifier.verify(paths: [samples, org])
        let extracted = try DigestVerifier.verify(
            paths: [
                samples + "/111122223333/CloudTrail-Digest", org + "/o-exampleorg1/222233334444/CloudTrail-Digest",
                org + "/o-exampleorg1/555566667777/CloudTrail-Digest", ledgers.extract,
            ])
        let key = try NSRegularExpression(pattern: #"[^ ;,()"]*?/AWSLogs/"#)
        func normal(_ report: VerifyReport) -> [String] {
            report.findings.map { f in
                let text = "\(f.kind.rawValue) \(f.subject): \(f.detail)"
                return key.stringByReplacingMatches(
                    in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "AWSLogs/")
            }.sorted()
        }
        #expect(raw.logFiles > 180 && raw.verified > 20, "\(raw.logFiles) logs, \(raw.verified) verified")
        #expect(normal(raw).contains { $0.hasPrefix("changed ") && $0.contains("555566667777") })
        let counts: [Int] = [extracted.logFiles, extracted.digests, extracted.verified, extracted.pending]
        #expect(counts == [raw.logFiles, raw.digests, raw.verified, raw.pending])
        #expect(normal(extracted) == normal(raw))
    }

    /// The part files' blocks, by how they carry their source file.
    static func blocks(_ extract: String) throws -> (filtered: [String], whole: [String]) {
        var filtered: [String] = []
        var whole: [String] = []
        let found = FileManager.default.enumerator(atPath: extract)
        while let name = found?.nextObject() as? String {
            guard name.hasSuffix(".txt.gz"), !name.split(separator: "/").last!.hasPrefix(".") else { continue }
            let text = String(decoding: try Gunzip.decode(extract + "/" + name), as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix(#"{"session_ledger_extract":"#) {
                let m = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                let file = String((m["path"] as! String).split(separator: "/").last!)
                if m["whole"] as! Bool { whole.append(file) } else { filtered.append(file) }
            }
        }
        return (filtered.sorted(), whole.sorted())
    }

    @Test("the extract carries the irregular files whole and keeps a few records of each clean one")
    func extractShape() async throws {
        let ledgers = try await Self.ledgers.value
        let (filtered, whole) = try Self.blocks(ledgers.extract)
        #expect(
            whole.map { $0.split(separator: "_").last! }.sorted() == [
                "cutInTheMiddle00.json.gz", "oCsEvCE2lwXM090i.json.gz", "oneBrokenRecord0.json.gz",
                "prettyPrinted000.json.gz",
            ])
        #expect(filtered.contains { $0.hasSuffix("notGzipped00000.json") })
        #expect(filtered.contains { $0.hasSuffix("noRecords000000.json.gz") })
        #expect(!filtered.contains { $0.contains("CloudTrail-Digest") } && !whole.contains { $0.contains("Digest") })
        // The extract itself holds a few records of each clean file: the filter filtered.
        var read = 0
        var kept = 0
        var lines = 0
        for part in try Self.parts(ledgers.extract) {
            for line in String(decoding: try Gunzip.decode(part), as: UTF8.self).split(separator: "\n") {
                if line.hasPrefix(#"{"session_ledger_extract":"#) {
                    let m = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                    read += m["records_read"] as? Int ?? 0
                    kept += m["records_kept"] as? Int ?? 0
                } else if line.hasPrefix(#"{"record":"#) {
                    lines += 1
                }
            }
        }
        #expect(read > 1000 && kept * 3 < read && lines == kept, "\(lines) lines, \(kept) of \(read) kept")
    }

    /// The extract's part files (not Spark's hidden checksums).
    static func parts(_ extract: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: extract).sorted()
            .filter { $0.hasSuffix(".txt.gz") && !$0.split(separator: "/").last!.hasPrefix(".") }
            .map { extract + "/" + $0 }
    }

    // How this was seen to fail: the part file was read again for the newer parser, and each
    // file it held, its bytes unchanged, was judged unchanged and kept the old parser's rows.
    @Test("a newer CloudTrail parser reads the files an extract holds again, as it reads files on disk")
    func newerParser() async throws {
        let ledgers = try await Self.ledgers.value
        let dir = try TemporaryDirectory("ledger-scale-out-revision")
        defer { dir.remove() }
        let database = dir.path + "/l.sqlite"
        try await Self.ingest([ledgers.extract], into: database)
        // As an older build would have left it: every file read by revision 1, and one event it
        // did not keep.
        let queue = try DatabaseQueue(path: database)
        let dropped = try await queue.write { db in
            try db.execute(sql: "UPDATE input_file SET parser_revision = 1")
            let id = try String.fetchOne(db, sql: "SELECT event_id FROM ct_event ORDER BY event_id LIMIT 1")!
            try db.execute(sql: "DELETE FROM ct_event WHERE event_id = ?", arguments: [id])
            return id
        }
        let summary = try await Self.ingest([ledgers.extract], into: database)
        let held = summary.files.filter { $0.format == "cloudtrail" }
        #expect(held.count > 150 && held.allSatisfy { $0.action == .replaced }, "\(Set(held.map(\.action)))")
        let back = try await queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM ct_event WHERE event_id = ?", arguments: [dropped])
        }
        #expect(back == 1)
    }

    @Test("a local copy of a file an extract holds, in other gzip bytes, is a duplicate of it, not its new name")
    func localCopy() async throws {
        let ledgers = try await Self.ledgers.value
        let dir = try TemporaryDirectory("ledger-scale-out-copy")
        defer { dir.remove() }
        let database = dir.path + "/l.sqlite"
        try await Self.ingest([ledgers.extract], into: database)
        let folder = ledgers.dir.path + "/org/AWSLogs/o-exampleorg1/555566667777/CloudTrail/us-east-1/2025/11/18"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).sorted().first)
        let copy = try dir.write("copy/" + name, Gzip.compress(try Gunzip.decode(folder + "/" + name), level: 1))
        let summary = try await Self.ingest([dir.path + "/copy"], into: database)
        let report = try #require(summary.files.first { $0.path == copy })
        #expect(report.status == .duplicate)
        #expect(report.detail?.hasPrefix("same content as file:") == true, "\(report.detail ?? "")")
    }

    @Test("a part file missing a record line and a chunk line: those two files are refused, the rest stored")
    func damagedPart() async throws {
        let ledgers = try await Self.ledgers.value
        let dir = try TemporaryDirectory("ledger-scale-out-damaged")
        defer { dir.remove() }
        // The partition of the odd files: filtered blocks and whole ones.
        let part = try #require(
            try Self.parts(ledgers.extract).first { $0.contains("222233334444/region=eu-west-1/day=2025-11-17") })
        var lines = String(decoding: try Gunzip.decode(part), as: UTF8.self).split(separator: "\n").map(String.init)
        let blocks = lines.filter { $0.hasPrefix(#"{"session_ledger_extract":"#) }.count
        let record = try #require(lines.firstIndex { $0.hasPrefix(#"{"record":"#) })
        lines.remove(at: record)
        let chunk = try #require(lines.firstIndex { $0.hasPrefix(#"{"chunk":"#) })
        lines.remove(at: chunk)
        _ = try dir.write("extract/part.txt.gz", Gzip.compress(Array((lines.joined(separator: "\n") + "\n").utf8)))
        let summary = try await Self.ingest([dir.path + "/extract"], into: dir.path + "/l.sqlite")
        let report = try #require(summary.files.first { $0.path.hasSuffix("part.txt.gz") })
        #expect(report.status == .corrupt)
        #expect(report.rejected == 2)
        #expect(report.detail == "\(blocks - 2) source file(s); 2 not read (see the quarantine)")
        #expect(summary.files.count == 1 + blocks - 2)
    }

    @Test("a part file cut short: the source files before the cut are stored, and the part is truncated")
    func cutPart() async throws {
        let ledgers = try await Self.ledgers.value
        let dir = try TemporaryDirectory("ledger-scale-out-cut")
        defer { dir.remove() }
        let part = try #require(
            FileManager.default.subpathsOfDirectory(atPath: ledgers.extract).first {
                $0.contains("account=222233334444/region=eu-west-1/day=2025-11-17/part-") && $0.hasSuffix(".txt.gz")
            })
        let text = try Gunzip.decode(ledgers.extract + "/" + part)
        let blocks =
            String(decoding: text, as: UTF8.self).components(separatedBy: #"{"session_ledger_extract":"#)
            .count - 1
        #expect(blocks >= 5)
        let gz = Gzip.compress(text)
        _ = try dir.write("extract/part.txt.gz", Array(gz.prefix(gz.count * 2 / 3)))
        let summary = try await Self.ingest([dir.path + "/extract"], into: dir.path + "/l.sqlite")
        let partReport = try #require(summary.files.first { $0.path.hasSuffix("part.txt.gz") })
        #expect(partReport.status == .truncated)
        #expect(partReport.detail?.contains("source file(s) before it were read") == true, "\(partReport.detail ?? "")")
        #expect(partReport.detail?.contains("o-exampleorg1") == true, "names the source file it cuts")
        let stored = summary.files.filter { $0.path.contains("o-exampleorg1") }
        #expect(stored.count > 0 && stored.count < blocks, "\(stored.count) of \(blocks)")
        #expect(stored.allSatisfy { $0.action == .loaded })
    }

    @Test("an extract made with another relevance.json is refused, naming both definitions")
    func otherRelevance() async throws {
        let ledgers = try await Self.ledgers.value
        let dir = try TemporaryDirectory("ledger-scale-out-relevance")
        defer { dir.remove() }
        let part = try #require(
            FileManager.default.subpathsOfDirectory(atPath: ledgers.extract).first {
                $0.hasSuffix(".txt.gz") && !$0.split(separator: "/").last!.hasPrefix(".")
            })
        let text = String(decoding: try Gunzip.decode(ledgers.extract + "/" + part), as: UTF8.self)
        let ours = try #require(text.firstMatch(of: #/"relevance":"([0-9a-f]{64})"/#)?.output.1)
        let other = String(repeating: "e", count: 64)
        _ = try dir.write(
            "extract/part.txt.gz",
            Gzip.compress(Array(text.replacingOccurrences(of: String(ours), with: other).utf8)))
        let summary = try await Self.ingest([dir.path + "/extract"], into: dir.path + "/l.sqlite")
        #expect(summary.files.count == 1)
        #expect(summary.files.first?.status == .unrecognised)
        #expect(summary.files.first?.detail?.contains(other) == true)
        #expect(summary.files.first?.detail?.contains(String(ours)) == true)
    }
}
