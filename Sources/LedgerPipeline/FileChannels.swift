import Foundation
import LedgerModel
import LedgerStore

/// What a parse worker sends the writer about one file, in order: `reading`, any number of
/// `rows`, then `end`; before them, for each file an extract's part file holds, `virtual` and
/// that file's own `reading`, `rows` and `end`.
enum FileMessage: Sendable {
    /// The next messages are those of the source file at `path`, which the file being read holds
    /// (``ExtractReader``).
    case virtual(path: String)
    /// Reading began; `appending` when only what a grown file added is read.
    case reading(appending: Bool)
    /// Rows parsed so far; the file goes on.
    case rows([TableBatch])
    /// The file's manifest values and its last rows.
    case end(FileLoad)
}

/// Carries every file's messages from the threads that parse them to the writer, which takes
/// them file by file in input order.
///
/// Memory stays bounded however large the files are: the parser of the file being written may
/// always be `perFile` pieces ahead of the writer, and further while the queued rows of all
/// files stay within `aheadBytes` (by ``approximateBytes(_:)``); the parsers of later files
/// share that budget, and wait when it is used up (the writer never waits on them, so this
/// cannot deadlock). A file that becomes the one written often has many pieces queued already:
/// its parser goes on beside the writer within the budget, rather than waiting until the
/// writer has taken all but `perFile` of them. Bytes, not pieces: a piece of Livy
/// events and one of CloudTrail records differ tenfold, and while the writer stores one file the
/// next file's parser should use the other core as far as memory allows.
final class FileChannels: @unchecked Sendable {
    private let condition = NSCondition()
    private var queues: [[(message: FileMessage, bytes: Int)]]
    /// The file the writer reads.
    private var current = 0
    /// Bytes of rows queued for files after `current`.
    private var queuedAhead = 0
    /// Bytes of rows queued for `current`.
    private var queuedCurrent = 0
    private var cancelled = false
    private let perFile: Int
    private let aheadBytes: Int
    /// Senders waiting for room now.
    private var waitingSenders = 0

    /// How many senders are waiting for room: a wait a test can see, rather than infer from a
    /// send that has not returned yet.
    var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return waitingSenders
    }

    init(files: Int, perFile: Int, aheadBytes: Int) {
        queues = Array(repeating: [], count: files)
        self.perFile = perFile
        self.aheadBytes = aheadBytes
    }

    /// About how much memory `batches` hold (``TableBatch/byteCount``).
    static func approximateBytes(_ batches: [TableBatch]) -> Int {
        batches.reduce(0) { $0 + $1.byteCount }
    }

    func send(_ message: FileMessage, file: Int) {
        // Counted before taking the lock: the writer waits on it, and a piece is 4,096 rows.
        var bytes = 0
        if case .rows(let batches) = message { bytes = Self.approximateBytes(batches) }
        condition.lock()
        defer { condition.unlock() }
        if case .rows = message {
            // A later file waits while the queued bytes would pass the budget; it may always
            // queue one piece, however large, so that it is never stuck behind its own piece.
            while !cancelled
                && (file == current
                    ? queues[file].count >= perFile && queuedAhead + queuedCurrent + bytes > aheadBytes
                    : queuedAhead > 0 && queuedAhead + bytes > aheadBytes)
            {
                waitingSenders += 1
                condition.wait()
                waitingSenders -= 1
            }
            if file == current { queuedCurrent += bytes } else { queuedAhead += bytes }
        }
        guard !cancelled else { return }
        queues[file].append((message, bytes))
        condition.broadcast()
    }

    func receive(file: Int) -> FileMessage {
        condition.lock()
        defer { condition.unlock() }
        if file != current {
            current = file
            queuedCurrent = queues[file].reduce(0) { $0 + $1.bytes }
            queuedAhead -= queuedCurrent
        }
        while queues[file].isEmpty { condition.wait() }
        let (message, bytes) = queues[file].removeFirst()
        queuedCurrent -= bytes
        condition.broadcast()
        return message
    }

    /// The writer gave up: waiting parsers return, and what they send is dropped.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
