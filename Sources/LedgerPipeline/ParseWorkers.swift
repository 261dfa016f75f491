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

/// Carries one file's messages from the thread that parses it to the writer. A parser that is
/// `capacity` pieces ahead of the writer waits, so memory is bounded by the pieces in flight,
/// not by the size of the file.
final class FileChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [FileMessage] = []
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func send(_ message: FileMessage) {
        condition.lock()
        defer { condition.unlock() }
        if case .rows = message {
            while !cancelled && queue.count >= capacity { condition.wait() }
        }
        guard !cancelled else { return }
        queue.append(message)
        condition.broadcast()
    }

    func receive() -> FileMessage {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty { condition.wait() }
        let message = queue.removeFirst()
        condition.broadcast()
        return message
    }

    /// The writer gave up: a waiting parser returns, and what it sends is dropped.
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
    private let count: Int
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
        self.count = count
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
