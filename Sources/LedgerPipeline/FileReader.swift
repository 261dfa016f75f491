import Foundation
import LedgerDiscover
import LedgerFormats
import LedgerModel
import LedgerStore

/// One file, read: recognised from the head of its decoded content, then decoded, split into lines,
/// checked and parsed in one pass, its rows sent on in pieces as they come.
///
/// Runs on the parse threads; never fails: every problem becomes the file's status.
enum FileReader {
    /// Bytes of decoded content looked at to recognise a format.
    static let sniffBytes = 256 * 1024

    /// Rows a parser may hold before they go to the writer.
    static let pieceRows = 4096

    /// Decodes and parses one file and sends what it finds to the writer: `.reading`, rows as they
    /// come, then `.end`.
    ///
    /// Never fails: every problem becomes the file's status.
    static func read(_ job: IngestPlan.Job, send: (FileMessage) -> Void) {
        withoutActuallyEscaping(send) { send in
            send(.end(read(job, begin: { send(.reading(appending: $0)) }, rows: { send(.rows($0)) }, virtual: send)))
        }
    }

    /// Decodes and parses one file: `begin` hears whether it is read on from where a grown file
    /// was stored up to, `rows` gets rows as they are parsed; the rest is returned.
    ///
    /// An extract's part file sends the files it holds to `virtual` first (``ExtractReader``);
    /// without `virtual` it is not recognised as one.
    static func read(
        _ job: IngestPlan.Job, begin: (_ appending: Bool) -> Void, rows: ([TableBatch]) -> Void,
        virtual: ((FileMessage) -> Void)? = nil
    ) -> FileLoad {
        let file = job.file
        var load = FileLoad(
            path: file.path, size: file.size, mtimeNanos: file.mtimeNanos, sha256: nil, format: nil,
            compression: .none, status: .ok, context: job.context)

        // A plain file that only grew since it was stored (same bytes up to the old size, ending
        // in a line break there) is read on from where the last run stopped.
        if let previous = job.previous, previous.status == .ok, previous.compression == .none,
            let name = job.format ?? previous.format, let format = try? FormatRegistry.format(named: name),
            format.inputMode == .lines, file.size > previous.size, previous.size > 0,
            Fingerprint.byte(path: file.path, at: Int(previous.size) - 1) == 0x0A,
            let prefix = Fingerprint.sha256Hex(path: file.path, length: Int(previous.size)), prefix == previous.sha256
        {
            begin(true)
            return parse(format, job: job, into: load, from: previous, rows: rows)
        }
        // Recognise the format from the head of the decoded content (unless forced).
        var format: (any LogFormat.Type)?
        if let forced = job.format {
            format = try? FormatRegistry.format(named: forced)
        } else {
            switch recognise(path: file.path, extracts: virtual != nil) {
            case .success(.extract):
                let part = ExtractReader.read(job, into: load, send: virtual ?? { _ in })
                begin(false)
                return part
            case .success(.format(let recognised)): format = recognised
            case .failure(let why):
                begin(false)
                load.status = .unreadable
                load.detail = "cannot read: \(why)"
                return load
            }
        }
        begin(false)

        guard let format else {
            // Still hashed: an unrecognised file is recorded once, and skipped when unchanged.
            let result = InputDecoder.decode(path: file.path, hashing: true) { _ in }
            load.sha256 = result.sha256
            load.compression = result.compression
            if let problem = result.problem {
                apply(problem, to: &load, lines: 0)
            } else if result.decodedBytes == 0 {
                load.status = .empty
            } else {
                load.status = .unrecognised
                load.detail =
                    "matches no known format (\(FormatRegistry.names.joined(separator: ", "))); use --format to force one"
                load.quarantine = [QuarantineEntry(line: 0, reason: "unrecognised: \(load.detail ?? "")", excerpt: "")]
            }
            return load
        }
        return parse(format, job: job, into: load, rows: rows)
    }

    /// Why a file could not be read.
    struct Unreadable: Error { let why: String }

    /// The format of the file at `path`, from the head of its decoded content (nil: none).
    ///
    /// A delivered CloudTrail log begins with `{"Records":[`, and CloudTrail, first of the
    /// registry, takes any head that begins so: those files are decided from their first 4 KiB.
    /// A trail's files are a few hundred KiB, so inflating a 256 KiB head nearly doubled their
    /// inflating, as the parse inflates the whole file again (benchmarks/NOTES.md, `recognise`).
    static func recognise(path: String, extracts: Bool = false) -> Result<Recognised, Unreadable> {
        var head: [UInt8] = []
        let quick = 4096
        let first = InputDecoder.decode(path: path, hashing: false, limit: quick, chunkSize: quick) {
            head.append(contentsOf: $0)
        }
        if case .unreadable(let why) = first.problem { return .failure(Unreadable(why: why)) }
        if head.starts(with: recordsPrefix) { return .success(.format(CloudTrailFormat.self)) }
        if extracts && head.starts(with: ExtractReader.marker) { return .success(.extract) }
        head = []
        let peek = InputDecoder.decode(path: path, hashing: false, limit: sniffBytes) { head.append(contentsOf: $0) }
        if case .unreadable(let why) = peek.problem { return .failure(Unreadable(why: why)) }
        return .success(.format(FormatRegistry.recognise(HeadSample(bytes: Array(head.prefix(sniffBytes))))))
    }

    /// What a file's head says it is.
    enum Recognised {
        /// A log of this format (nil: none).
        case format((any LogFormat.Type)?)
        /// A part file of a scale-out extract.
        case extract
    }

    static let recordsPrefix = Array(#"{"Records":["#.utf8)

    /// Reads the whole file through `F` (generic, so the per-line calls are direct).
    static func parse<F: LogFormat>(
        _: F.Type, job: IngestPlan.Job, into load: FileLoad, from previous: ManifestEntry? = nil,
        rows: ([TableBatch]) -> Void
    ) -> FileLoad {
        var load = load
        load.format = F.name
        load.parserRevision = F.revision
        // The time zone was checked before any file was read.
        let clock = (try? LocalTimeConverter(identifier: job.context.timeZone)) ?? LocalTimeConverter(timeZone: .gmt)
        var parser = F(
            context: ParseContext(
                path: job.parsePath ?? job.file.path, input: job.context, clock: clock,
                modifiedNanos: job.file.mtimeNanos))
        var splitter = LineSplitter(lineNumber: previous?.lines ?? 0)
        // A line past the reader's limit (1 MiB), or one that is not text (control bytes,
        // invalid UTF-8), is no log line we read: it is counted, sampled into the quarantine, and
        // skipped, whatever the format.
        var notRead: [QuarantineEntry] = []
        var notReadCount = 0
        func feed(_ line: Line) {
            let problem =
                line.isOverlong
                ? "line longer than \(LineSplitter.defaultMaxLineLength >> 20) MiB"
                : line.isPrintableASCII ? nil : TextCheck.problem(in: line.bytes)
            guard let problem else {
                return parser.consume(lineNumber: line.number, bytes: line.bytes)
            }
            notReadCount += 1
            if notRead.count < ParseTally.quarantineSampleLimit {
                notRead.append(
                    QuarantineEntry(
                        line: line.number, reason: problem + ", skipped",
                        bytes: UnsafeRawBufferPointer(rebasing: line.bytes.prefix(120))))
            }
        }
        let byLine = F.inputMode == .lines
        // The hash of the decoded content: CloudTrail digests record it, and a gzipped copy of a
        // stored log (logrotate's `.out.1.gz`) is known by it. For a plain file it is the bytes' own.
        let offset = previous.map { Int($0.size) } ?? 0
        // A new plain file's hash is left to the writer (``HashLane``): hashing it here held
        // its rows back from the writer (benchmarks/NOTES.md, `HashLane`).
        var result = InputDecoder.decode(
            path: job.file.path, hashing: offset == 0, hashingDecoded: true,
            deferPlainHash: job.deferHash && previous == nil, from: offset
        ) { chunk in
            if byLine {
                splitter.feed(chunk, feed)
            } else {
                parser.consume(chunk: chunk)
            }
            if parser.heldRows >= pieceRows { rows(parser.takeRows()) }
        }
        if !byLine {
            // The parser saw the bytes as they came; a cut stream shows as an unfinished record.
        } else if result.problem == nil {
            splitter.finish(feed)
        } else {
            splitter.discardPartialLine()  // the piece after the last line break is not a whole line
        }
        let parsed = parser.finish()
        if let previous {
            // The hash covers the whole file, as for any other.
            result.sha256 = Fingerprint.sha256Hex(path: job.file.path, length: Int(job.file.size))
            load.appendedAfterLine = previous.lines
        }
        load.sha256 = result.sha256
        load.contentSHA256 = result.decodedSHA256
        if result.hashDeferred && result.problem == nil { load.hashLength = result.rawBytes }
        load.compression = result.compression
        // Lines read this time, the skipped ones included (a grown file's next read starts here).
        let lines = byLine ? splitter.lineNumber - (previous?.lines ?? 0) : parsed.lines
        load.lines = lines
        load.rejected = parsed.rejected + notReadCount
        load.batches = parsed.batches
        load.quarantine = Array(
            (notRead + parsed.quarantine).sorted { $0.line < $1.line }.prefix(ParseTally.quarantineSampleLimit))
        load.firstEvent = parsed.firstEventMillis.map(UTCTime.iso8601(millis:))
        load.lastEvent = parsed.lastEventMillis.map(UTCTime.iso8601(millis:))
        if let problem = result.problem {
            apply(problem, to: &load, lines: lines)
        } else if result.decodedBytes == 0 {
            load.status = .empty
        }
        return load
    }

    static func apply(_ problem: DecodeProblem, to load: inout FileLoad, lines: Int) {
        switch problem {
        case .unreadable: load.status = .unreadable
        case .truncated: load.status = .truncated
        case .corrupt: load.status = .corrupt
        }
        let kept = lines > 0 ? "; the \(lines) whole line(s) before it were read" : ""
        load.detail = "\(problem)\(kept)"
        load.quarantine.append(QuarantineEntry(line: lines + 1, reason: "\(problem)", excerpt: ""))
    }
}
