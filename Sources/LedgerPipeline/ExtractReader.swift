import Foundation
import LedgerDiscover
import LedgerFormats
import LedgerModel
import LedgerStore

/// Reads a part file of a scale-out extract (`scale-out/cloudtrail_extract.py`): the source
/// CloudTrail files whose blocks it holds, each as the file it stands for.
///
/// A block is a source file's manifest line, then either the records the Spark job kept (each
/// with its place among the file's records, its text byte for byte) or the whole file in base64
/// chunks. A filtered file is parsed as ``CloudTrailFormat`` would parse the original, its
/// skipped records counted from the manifest line; a whole file is read by ``FileReader`` as
/// if it lay here. Either way it is stored under its source path with the source's size and
/// hashes, so copy detection, digests and data quality see the trail's files, not the extract.
/// The part file itself is stored too (format `cloudtrail-extract`), so that an unchanged part is
/// not read again.
///
/// A block that is cut, out of order or of another relevance definition is not stored, and says
/// why in the part file's status and quarantine; the blocks beside it are.
enum ExtractReader {
    static let format = CloudTrailNames.extractFormat
    /// Read again when the CloudTrail parser changes: its records were chosen for that parser.
    static let revision = CloudTrailFormat.revision
    /// How every block, and so every part file, begins.
    static let marker = Array(#"{"session_ledger_extract":"#.utf8)
    /// The SHA-256 of the `relevance.json` this build compiled in; every manifest line names the
    /// one its records were chosen by.
    static let relevance = Fingerprint.sha256Hex(CloudTrailRelevance.fileBytes)

    /// A source file's manifest line.
    struct Manifest: Decodable {
        var sessionLedgerExtract: Int
        var path: String
        var size: Int64
        var modifiedMs: Int64
        var sha256: String
        var contentSha256: String?
        var compression: String?
        var recordsRead: Int?
        var recordsKept: Int?
        var skippedFirstMs: Int64?
        var skippedLastMs: Int64?
        var whole: Bool
        var relevance: String
    }

    /// One source file's block while it is read.
    private struct Block {
        let manifest: Manifest
        let line: Int
        /// Kept records: their place among the file's records, and their text.
        var records: [(index: Int, bytes: [UInt8])] = []
        /// A whole file's bytes so far, in `scratch`.
        var written: Int64 = 0
        var handle: FileHandle?
        var spoiled: String?
    }

    /// Reads the part file of `job` and sends each source file it holds as its own file
    /// (`.virtual(path:)`, then `.reading`, rows and `.end`); returns the part file's own load.
    static func read(_ job: IngestPlan.Job, into load: FileLoad, send: (FileMessage) -> Void) -> FileLoad {
        var load = load
        load.format = format
        load.parserRevision = revision
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "session-ledger-extract-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }

        var splitter = LineSplitter(maxLineLength: CloudTrailFormat.maxRecordBytes + 4096)
        var block: Block?
        var stored = 0
        var refused = 0
        var strayLines = 0
        var problems: [QuarantineEntry] = []
        var lastPath: String?
        var foreign: String?
        var foreignBlocks = 0
        var cut: String?

        func note(_ why: String, line: Int) {
            if problems.count < ParseTally.quarantineSampleLimit {
                problems.append(QuarantineEntry(line: line, reason: "\(format): \(why)", excerpt: ""))
            }
        }
        func spoil(_ why: String, line: Int) {
            if block != nil, block?.spoiled == nil { block?.spoiled = why }
            note(why, line: line)
        }
        func close() {
            guard var open = block else { return }
            block = nil
            try? open.handle?.close()
            open.handle = nil
            if open.spoiled == nil, let why = missing(in: open) {
                open.spoiled = why
                note(why, line: open.line)
            }
            if open.spoiled != nil {
                refused += 1
                return
            }
            emit(open, job: job, scratch: scratch, send: send)
            stored += 1
        }
        func feed(_ line: Line) {
            let bytes = line.bytes
            if bytes.starts(with: marker) {
                close()
                guard !line.isOverlong,
                    let manifest = try? decoder.decode(Manifest.self, from: Data(bytes)),
                    manifest.sessionLedgerExtract == 1
                else {
                    block = Block(manifest: placeholder, line: line.number)
                    return spoil("line \(line.number) is not a manifest line this build reads", line: line.number)
                }
                block = Block(manifest: manifest, line: line.number)
                if manifest.relevance != relevance {
                    foreign = foreign ?? manifest.relevance
                    foreignBlocks += 1
                    return spoil(
                        "\(manifest.path) was extracted with another relevance.json (SHA-256 \(manifest.relevance))",
                        line: line.number)
                }
                if let last = lastPath, !last.utf8.lexicographicallyPrecedes(manifest.path.utf8) {
                    spoil("\(manifest.path) comes after \(last): the part file is not in path order", line: line.number)
                }
                lastPath = manifest.path
                if manifest.whole {
                    do {
                        let file = scratch.appendingPathComponent(wholeName(manifest.path))
                        try FileManager.default.createDirectory(
                            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
                        block?.handle = try FileHandle(forWritingTo: file)
                    } catch {
                        spoil("cannot write \(manifest.path) to \(scratch.path): \(error)", line: line.number)
                    }
                }
                return
            }
            guard block != nil, block?.spoiled == nil else {
                if block == nil {
                    strayLines += 1
                    note("line \(line.number) belongs to no source file", line: line.number)
                }
                return
            }
            if line.isOverlong {
                spoil("line \(line.number) is longer than a record can be", line: line.number)
            } else if let (index, event) = record(bytes) {
                let previous = block?.records.last?.index ?? 0
                guard index > previous, index <= block?.manifest.recordsRead ?? 0, block?.manifest.whole == false else {
                    return spoil("record \(index) on line \(line.number) is out of place", line: line.number)
                }
                block?.records.append((index, Array(event)))
            } else if let chunk = chunk(bytes), let handle = block?.handle {
                do {
                    try handle.write(contentsOf: chunk)
                    block?.written += Int64(chunk.count)
                } catch {
                    spoil("cannot write \(block?.manifest.path ?? ""): \(error)", line: line.number)
                }
            } else {
                spoil("line \(line.number) is neither a record nor a chunk of its source file", line: line.number)
            }
        }

        let result = InputDecoder.decode(path: job.file.path, hashing: true, hashingDecoded: true) { chunk in
            splitter.feed(chunk, feed)
        }
        if result.problem == nil {
            splitter.finish(feed)
            close()
        } else {
            splitter.discardPartialLine()
            if let open = block {
                block = nil
                try? open.handle?.close()
                cut = open.manifest.path
                problems.append(
                    QuarantineEntry(
                        line: splitter.lineNumber + 1, reason: "\(format): \(open.manifest.path) is cut off",
                        excerpt: ""))
            }
        }
        load.sha256 = result.sha256
        load.contentSHA256 = result.decodedSHA256
        load.compression = result.compression
        load.lines = splitter.lineNumber
        load.rejected = refused + strayLines + (cut == nil ? 0 : 1)
        load.quarantine = problems
        if let foreign, stored == 0, foreignBlocks == refused, strayLines == 0, result.problem == nil {
            load.status = .unrecognised
            load.detail =
                "an extract made with another relevance.json (SHA-256 \(foreign)) than this build's (\(relevance)): "
                + "extract again with this build's scale-out/cloudtrail_extract.py and relevance.json"
            load.quarantine = [QuarantineEntry(line: 0, reason: "\(format): \(load.detail!)", excerpt: "")]
            return load
        }
        let spoiled =
            (refused > 0 ? "; \(refused) not read (see the quarantine)" : "")
            + (strayLines > 0 ? "; \(strayLines) line(s) of no source file" : "")
        load.detail = "\(stored) source file(s)\(spoiled)"
        if let problem = result.problem {
            FileReader.apply(problem, to: &load, lines: splitter.lineNumber)
            load.detail =
                "\(problem); the \(stored) source file(s) before it were read\(spoiled)"
                + (cut.map { "; \($0), which it cuts, was not" } ?? "")
        } else if result.decodedBytes == 0 {
            load.status = .empty
        } else if refused > 0 || strayLines > 0 {
            load.status = .corrupt
        }
        return load
    }

    /// The CloudTrail logs a part file holds, each with the SHA-256 of its decompressed content
    /// (nil when it cannot be read to its end), for `verify`: read as the ingest reads them (a
    /// filtered file's hash from its manifest line, a whole file's from its bytes), so a block
    /// the ingest refuses is not verified either.
    static func heldLogs(path: String) -> [(path: String, contentSHA256: String?)] {
        let file = DiscoveredFile(path: path, size: 0, mtimeNanos: 0, context: InputContext())
        let job = IngestPlan.Job(index: 0, file: file, format: nil, context: file.context)
        var logs: [(path: String, contentSHA256: String?)] = []
        _ = read(
            job,
            into: FileLoad(
                path: path, size: 0, mtimeNanos: 0, sha256: nil, format: nil, compression: .none, status: .ok,
                context: file.context)
        ) { message in
            if case .end(let load) = message, load.format == CloudTrailFormat.name {
                logs.append((load.path, load.contentSHA256))
            }
        }
        return logs
    }

    /// What a block lacks to be its source file whole, if anything.
    private static func missing(in block: Block) -> String? {
        let m = block.manifest
        // A manifest line is input too: numbers out of any real file's range are refused here,
        // before they are counted or multiplied.
        guard m.size >= 0, !m.modifiedMs.multipliedReportingOverflow(by: 1_000_000).overflow
        else { return "\(m.path): its manifest line's size or time is out of range" }
        if m.whole {
            return block.written == m.size
                ? nil : "\(m.path): \(block.written) of its \(m.size) bytes are in the extract"
        }
        guard let read = m.recordsRead, let kept = m.recordsKept, m.contentSha256 != nil,
            let compression = m.compression, Compression(rawValue: compression) != nil,
            read >= 0, read <= Int(Int32.max), kept >= 0
        else { return "\(m.path): its manifest line lacks what a filtered file needs" }
        return block.records.count == kept && kept <= read
            ? nil : "\(m.path): \(block.records.count) of its \(kept) kept records are in the extract"
    }

    /// Sends one whole block as the source file it stands for.
    private static func emit(_ block: Block, job: IngestPlan.Job, scratch: URL, send: (FileMessage) -> Void) {
        let m = block.manifest
        var context = LayoutContext.infer(path: m.path)
        context.timeZone = job.context.timeZone
        let mtime = m.modifiedMs * 1_000_000
        send(.virtual(path: m.path))
        if m.whole {
            let file = scratch.appendingPathComponent(wholeName(m.path)).path
            var whole = IngestPlan.Job(
                index: job.index, file: DiscoveredFile(path: file, size: m.size, mtimeNanos: mtime, context: context),
                format: nil, context: context)
            whole.deferHash = false
            whole.parsePath = m.path
            var load = FileReader.read(whole, begin: { send(.reading(appending: $0)) }, rows: { send(.rows($0)) })
            load.path = m.path
            try? FileManager.default.removeItem(atPath: file)
            return send(.end(load))
        }
        send(.reading(appending: false))
        var parser = CloudTrailFormat(
            context: ParseContext(
                path: m.path, input: context, clock: LocalTimeConverter(timeZone: .gmt), modifiedNanos: mtime))
        var next = 1
        for record in block.records {
            parser.skip(records: record.index - next)
            record.bytes.withUnsafeBytes { parser.consume(record: $0) }
            next = record.index + 1
            if parser.heldRows >= FileReader.pieceRows { send(.rows(parser.takeRows())) }
        }
        parser.skip(records: (m.recordsRead ?? 0) - (next - 1))
        parser.sawSkippedEvents(firstMillis: m.skippedFirstMs, lastMillis: m.skippedLastMs)
        var parsed = parser.finish()
        // The last rows go as rows, not inside `.end`, so that the writer's memory budget counts
        // them: a part file holds thousands of files.
        if !parsed.batches.isEmpty { send(.rows(parsed.batches)) }
        parsed.batches = []
        var load = FileLoad(
            path: m.path, size: m.size, mtimeNanos: mtime, sha256: m.sha256, format: CloudTrailFormat.name,
            compression: Compression(rawValue: m.compression ?? "") ?? .gzip, status: .ok, context: context)
        load.parserRevision = CloudTrailFormat.revision
        load.contentSHA256 = m.contentSha256
        load.lines = parsed.lines
        load.rejected = parsed.rejected
        load.batches = parsed.batches
        load.quarantine = Array(parsed.quarantine.sorted { $0.line < $1.line }.prefix(ParseTally.quarantineSampleLimit))
        load.firstEvent = parsed.firstEventMillis.map(UTCTime.iso8601(millis:))
        load.lastEvent = parsed.lastEventMillis.map(UTCTime.iso8601(millis:))
        send(.end(load))
    }

    /// `{"record":17,"event":…}`: the place and the record's text.
    private static func record(_ line: UnsafeRawBufferPointer) -> (Int, UnsafeRawBufferPointer)? {
        let head = Array(#"{"record":"#.utf8)
        let middle = Array(#","event":"#.utf8)
        guard line.starts(with: head), line.last == 0x7D else { return nil }
        var i = head.count
        var index = 0
        while i < line.count, line[i] >= 0x30, line[i] <= 0x39, index < Int.max / 10 {
            index = index * 10 + Int(line[i] - 0x30)
            i += 1
        }
        guard i > head.count, UnsafeRawBufferPointer(rebasing: line[i...]).starts(with: middle) else { return nil }
        return (index, UnsafeRawBufferPointer(rebasing: line[(i + middle.count)..<(line.count - 1)]))
    }

    /// `{"chunk":"<base64>"}`: the bytes.
    private static func chunk(_ line: UnsafeRawBufferPointer) -> Data? {
        let head = Array(#"{"chunk":""#.utf8)
        guard line.starts(with: head), line.count >= head.count + 2, line[line.count - 1] == 0x7D,
            line[line.count - 2] == 0x22
        else { return nil }
        return Data(base64Encoded: Data(line[head.count..<(line.count - 2)]))
    }

    /// Where a whole file is put back together: under its own name, so that a format that reads
    /// its name (a saved REST answer's session id) reads the same, in a folder of its path's hash.
    private static func wholeName(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? "file"
        return String(Fingerprint.sha256Hex(Array(path.utf8)).prefix(16)) + "/" + name
    }

    /// Whether `path` names a file an extract holds: a source path as Spark writes it, with a URI
    /// scheme (`s3://`, `file:`), never a path on this disk.
    static func isHeld(_ path: String) -> Bool {
        path.hasPrefix("file:") || path.contains("://")
    }

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    private static let placeholder = Manifest(
        sessionLedgerExtract: 0, path: "", size: 0, modifiedMs: 0, sha256: "", whole: false, relevance: "")
}
