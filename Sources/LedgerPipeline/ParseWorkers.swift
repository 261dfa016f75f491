import Foundation
import LedgerStore
import LedgerModel

/// What a parse worker sends the writer about one file, in order: `reading`, any number of
/// `rows`, then `end`.
enum FileMessage: Sendable {
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
/// be `perFile` pieces ahead of the writer; the parsers of later files share `ahead` pieces
/// between them, and wait when those are used up (the writer never waits on them, so this
/// cannot deadlock).
final class FileChannels: @unchecked Sendable {
    private let condition = NSCondition()
    private var queues: [[FileMessage]]
    /// The file the writer reads.
    private var current = 0
    /// Pieces of rows queued for files after `current`.
    private var queuedAhead = 0
    private var cancelled = false
    private let perFile: Int
    private let ahead: Int

    init(files: Int, perFile: Int, ahead: Int) {
        queues = Array(repeating: [], count: files)
        self.perFile = perFile
        self.ahead = ahead
    }

    func send(_ message: FileMessage, file: Int) {
        condition.lock()
        defer { condition.unlock() }
        if case .rows = message {
            while !cancelled && (file == current ? queues[file].count >= perFile : queuedAhead >= ahead) {
                condition.wait()
            }
            if file != current { queuedAhead += 1 }
        }
        guard !cancelled else { return }
        queues[file].append(message)
        condition.broadcast()
    }

    func receive(file: Int) -> FileMessage {
        condition.lock()
        defer { condition.unlock() }
        if file != current {
            current = file
            queuedAhead -= queues[file].count { if case .rows = $0 { true } else { false } }
        }
        while queues[file].isEmpty { condition.wait() }
        let message = queues[file].removeFirst()
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

/// Threads that parse files in input order, at most `window` files ahead of the writer.
///
/// Plain threads, not tasks: a parser waits (blocks) when the writer is behind, and blocking
/// the cooperative pool that the writer runs on could starve it.
final class ParseWorkers: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var cancelled = false
    /// A slot per file in flight; the writer gives one back per file it finishes.
    private let slots: DispatchSemaphore
    private let finished = DispatchGroup()
    private let total: Int
    private let work: @Sendable (Int) -> Void

    /// Starts `count` threads that call `work(i)` for i = 0, 1, … `total` - 1, in order.
    init(count: Int, window: Int, total: Int, work: @escaping @Sendable (Int) -> Void) {
        self.total = total
        self.work = work
        slots = DispatchSemaphore(value: window)
        for _ in 0..<count {
            finished.enter()
            let thread = Thread { [self] in
                run()
                finished.leave()
            }
            thread.stackSize = 8 << 20  // as a main thread has: JSON nesting recurses
            thread.start()
        }
    }

    private func run() {
        while true {
            slots.wait()
            lock.lock()
            guard !cancelled, next < total else {
                lock.unlock()
                slots.signal()  // wake the next idle thread: it stops too
                return
            }
            let index = next
            next += 1
            lock.unlock()
            work(index)
        }
    }

    /// The writer finished a file: one more may be read.
    func fileWritten() { slots.signal() }

    /// No more files are started.
    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
        slots.signal()
    }

    /// Waits for every thread to stop.
    func wait() { finished.wait() }
}
