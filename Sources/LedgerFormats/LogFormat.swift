import LedgerModel

/// A parser for one log format: recognises the format from a file's first lines, then turns
/// the file's lines into rows of its staging tables.
///
/// A new format is one file that conforms to this protocol (declaring its ``tables``), one line
/// in ``FormatRegistry``, a migration that creates its tables in the store, and its samples and
/// tests.
///
/// ## Topics
/// - ``FormatRegistry``
/// - ``ParseContext``
/// - ``ParsedFile``
public protocol LogFormat {
    /// The name used by `--format`, the manifest (`input_file.format`) and diagnostics.
    static var name: String { get }
    /// One sentence for `--help` and the docs.
    static var summary: String { get }
    /// Whether the first lines of a file are this format. Must not claim other formats'
    /// files: the registry tests feed every format's samples (and real foreign logs) to all.
    static func recognizes(_ head: HeadSample) -> Bool
    /// The staging tables its rows go into (a test holds them to the schema's columns).
    static var tables: [StagingTable] { get }

    /// How the pipeline feeds this parser: numbered lines (text logs), or the decoded bytes as
    /// they come (JSON documents, which often sit on one line of many megabytes).
    static var inputMode: InputMode { get }

    /// Goes up when the parser reads its files into other rows than before (a new column, a
    /// reading corrected): files stored by an earlier revision are read again by the next
    /// ingest, even unchanged, so that an upgraded ledger holds what this parser reads.
    static var revision: Int { get }

    init(context: ParseContext)
    /// Consumes the next piece of decoded bytes (``InputMode/bytes`` formats only); `bytes` is
    /// valid only during the call.
    mutating func consume(chunk bytes: UnsafeRawBufferPointer)
    /// Consumes one whole line of text. `bytes` is valid only during the call. Lines over the
    /// reader's limit, and lines that are not text, never reach a format: the pipeline
    /// quarantines them.
    mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer)
    /// Rows parsed and not yet taken.
    var heldRows: Int { get }
    /// Hands over the rows parsed so far; ``finish()`` returns only the rows after them. The
    /// pipeline takes rows past a threshold, so a large log is stored in pieces and never held
    /// whole. Formats that build their rows at the end (whole JSON documents, which are small)
    /// keep the default: nothing until ``finish()``.
    mutating func takeRows() -> [TableBatch]
    /// Returns everything parsed from the file (and not taken).
    mutating func finish() -> ParsedFile
}

/// How a format's parser takes its input.
public enum InputMode: Sendable {
    /// Numbered whole lines of text, line breaks removed (text logs).
    case lines
    /// Decoded bytes in chunks of any size (JSON documents).
    case bytes
}

extension LogFormat {
    public static var inputMode: InputMode { .lines }
    public static var revision: Int { 1 }
    public mutating func consume(chunk bytes: UnsafeRawBufferPointer) {}
    public var heldRows: Int { 0 }
    public mutating func takeRows() -> [TableBatch] { [] }
}

/// The first lines of a file, decoded as UTF-8 (invalid bytes replaced), for recognition.
public struct HeadSample: Sendable {
    public var lines: [String]

    public init(lines: [String]) { self.lines = lines }

    /// Builds a sample from raw decoded bytes: at most `maxLines` lines.
    public init(bytes: [UInt8], maxLines: Int = 2000) {
        var lines: [String] = []
        // Line ends found by memchr: every file's head (up to 256 KiB) passes here, and a
        // generic `split` looked at it byte by byte.
        bytes.withUnsafeBytes { b in
            var start = 0
            while lines.count < maxLines {
                let end = b.firstOffset(of: "\n", in: start..<b.count) ?? b.count
                let stop = end > start && b[end - 1] == 0x0D ? end - 1 : end
                lines.append(b.string(start..<stop))
                if end == b.count { break }
                start = end + 1
            }
        }
        if lines.last == "" { lines.removeLast() }
        self.lines = lines
    }
}

/// What a parser knows about the file it reads.
public struct ParseContext: Sendable {
    /// The file's path, for diagnostics.
    public var path: String
    /// Cluster, account, region and the time zone of wall-clock timestamps.
    public var input: InputContext
    /// Converts the file's wall-clock timestamps to UTC.
    public var clock: LocalTimeConverter
    /// The file's mtime, in nanoseconds since the epoch: for a format whose content names no
    /// time (a saved `yarn application -list`).
    public var modifiedNanos: Int64?

    public init(path: String, input: InputContext, clock: LocalTimeConverter, modifiedNanos: Int64? = nil) {
        self.path = path
        self.input = input
        self.clock = clock
        self.modifiedNanos = modifiedNanos
    }
}

/// Everything one parser produced for one file.
public struct ParsedFile: Sendable, Equatable {
    public var batches: [TableBatch] = []
    /// A sample of the rejected lines (at most ``ParseTally/quarantineSampleLimit``).
    public var quarantine: [QuarantineEntry] = []
    /// Lines read (for JSON formats: records read).
    public var lines = 0
    /// Rows produced (before the store drops duplicates).
    public var records = 0
    /// Lines that looked like this format's records but could not be parsed.
    public var rejected = 0
    /// Earliest and latest event time seen in the file, UTC milliseconds.
    public var firstEventMillis: Int64?
    public var lastEventMillis: Int64?

    public init() {}
}

/// Counts and quarantine sampling shared by every parser.
public struct ParseTally: Sendable {
    /// Rejected lines kept per file; all are counted.
    public static let quarantineSampleLimit = 100

    public private(set) var file = ParsedFile()

    public init() {}

    public mutating func sawLine() { file.lines += 1 }

    /// Counts one record of a JSON format (kept in ``ParsedFile/lines``).
    public mutating func sawRecord() { file.lines += 1 }

    /// Counts `n` records read elsewhere (a scale-out extract's skipped ones).
    public mutating func sawRecords(_ n: Int) { file.lines += max(n, 0) }

    public mutating func sawEvent(atMillis t: Int64) {
        if let first = file.firstEventMillis {
            file.firstEventMillis = min(first, t)
        } else {
            file.firstEventMillis = t
        }
        if let last = file.lastEventMillis { file.lastEventMillis = max(last, t) } else { file.lastEventMillis = t }
    }

    public mutating func produced(_ n: Int = 1) { file.records += n }

    public mutating func reject(line: Int, reason: String, bytes: UnsafeRawBufferPointer) {
        file.rejected += 1
        if file.quarantine.count < Self.quarantineSampleLimit {
            file.quarantine.append(QuarantineEntry(line: line, reason: reason, bytes: bytes))
        }
    }

    /// Rejects a line with an excerpt the parser prepared (redacted, say).
    public mutating func reject(line: Int, reason: String, excerpt: String) {
        file.rejected += 1
        if file.quarantine.count < Self.quarantineSampleLimit {
            file.quarantine.append(QuarantineEntry(line: line, reason: reason, excerpt: excerpt))
        }
    }

    /// The result, with the given batches (empty batches are dropped).
    public func finish(batches: [TableBatch]) -> ParsedFile {
        var out = file
        out.batches = batches.filter { $0.rowCount > 0 }
        return out
    }
}

/// The whole decoded content of a small JSON document (REST answers, digests), up to a cap:
/// a larger file is refused rather than held in memory.
struct DocumentBuffer {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var tooLarge = false

    init(limit: Int) { self.limit = limit }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        guard !tooLarge else { return }
        if bytes.count + chunk.count > limit {
            tooLarge = true
            bytes = []
            return
        }
        bytes.append(contentsOf: chunk)
    }
}
