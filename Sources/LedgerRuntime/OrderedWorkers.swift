import Foundation

/// Threads that run jobs in the order they were given, at most `ahead` jobs beyond the ones the
/// consumer has taken, and hand their results back in any order the consumer asks for them.
///
/// A job given `whenIdle` waits until no other job can start, and is not counted in `ahead`: it
/// uses the threads the bound leaves idle (the derive walks the next cluster so).
///
/// The one scheduler of the tool: the ingest parses files with it (a job a file, the rows
/// streamed beside it through ``FileChannels``), the derive walks clusters and finishes their
/// sessions with it. The consumer stays on its own thread (the single writer), so the output,
/// and the order it is written in, do not depend on how the threads ran.
///
/// Plain threads, not tasks: a job may block (a parser waits when the writer is behind), and
/// blocking the cooperative pool the writer runs on could starve it. Each thread runs `around`
/// once: it sets up what the thread's jobs share (a read connection and its transaction, for
/// the derive) and calls `serve` with it; `serve` runs jobs until the workers stop.
public final class OrderedWorkers<Context, Output: Sendable>: @unchecked Sendable {
    public typealias Job = (Context) throws -> Output

    private let condition = NSCondition()
    // All below are guarded by `condition`.
    private var jobs: [Int: Job] = [:]
    private var submitted = 0
    /// Numbers of the ordered jobs and of the `whenIdle` ones not started yet, in order.
    private var ordered: [Int] = []
    private var orderedStart = 0
    private var idle: [Int] = []
    private var idleStart = 0
    /// The `whenIdle` jobs started and not taken: not counted in `outstanding`.
    private var uncounted = Set<Int>()
    private var results: [Int: Output] = [:]
    /// Jobs started and not yet taken: `ahead` at most.
    private var outstanding = 0
    private let ahead: Int
    private var failure: (any Error)?
    private var stopping = false
    /// Threads waiting because `ahead` jobs are outstanding while more are queued.
    private var waitingForRoom = 0
    private let stopped = DispatchGroup()

    /// Starts `threads` threads (with `stackSize` bytes of stack: JSON nesting recurses), each
    /// running `around`.
    ///
    /// A failure of `around` or of a job stops the workers; ``take(_:)`` throws the first.
    public init(
        threads: Int, ahead: Int, stackSize: Int = 8 << 20,
        around: @escaping @Sendable (_ serve: (Context) throws -> Void) throws -> Void
    ) {
        precondition(threads > 0 && ahead > 0)
        self.ahead = ahead
        for _ in 0..<threads {
            stopped.enter()
            let thread = Thread { [self] in
                do {
                    try around { context in try serve(context) }
                } catch {
                    fail(error)
                }
                stopped.leave()
            }
            thread.stackSize = stackSize
            thread.start()
        }
    }

    /// Workers whose jobs need nothing set up per thread.
    public convenience init(threads: Int, ahead: Int, stackSize: Int = 8 << 20) where Context == Void {
        self.init(threads: threads, ahead: ahead, stackSize: stackSize) { serve in try serve(()) }
    }

    /// How many threads wait for the consumer to take a result before they may start a queued
    /// job: a wait a test can see, rather than infer from a job that has not started yet.
    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return waitingForRoom
    }

    /// Queues `job`; returns its number (0, 1, …), by which ``take(_:)`` asks for its result.
    @discardableResult
    public func submit(whenIdle: Bool = false, _ job: @escaping Job) -> Int {
        condition.lock()
        defer { condition.unlock() }
        let number = submitted
        jobs[number] = job
        submitted += 1
        if whenIdle { idle.append(number) } else { ordered.append(number) }
        condition.broadcast()
        return number
    }

    /// Waits for job `number`'s result and takes it, which lets one more job start.
    ///
    /// Throws the first failure instead, once there is one.
    public func take(_ number: Int) throws -> Output {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && results[number] == nil { condition.wait() }
        if let failure { throw failure }
        if uncounted.remove(number) == nil { outstanding -= 1 }
        condition.broadcast()
        return results.removeValue(forKey: number)!
    }

    /// No more jobs start; waits for the running ones, and every thread, to end.
    ///
    /// Results not taken are dropped.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        stopped.wait()
    }

    private func serve(_ context: Context) throws {
        while let (number, job) = next() {
            let output = try job(context)
            condition.lock()
            results[number] = output
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next job to run: the next ordered one once fewer than `ahead` are outstanding, else
    /// the next `whenIdle` one; nil to stop.
    private func next() -> (Int, Job)? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopping || failure != nil { return nil }
            if orderedStart < ordered.count && outstanding < ahead {
                let number = ordered[orderedStart]
                orderedStart += 1
                outstanding += 1
                return (number, jobs.removeValue(forKey: number)!)
            }
            if idleStart < idle.count {
                let number = idle[idleStart]
                idleStart += 1
                uncounted.insert(number)
                return (number, jobs.removeValue(forKey: number)!)
            }
            let forRoom = orderedStart < ordered.count
            if forRoom { waitingForRoom += 1 }
            condition.wait()
            if forRoom { waitingForRoom -= 1 }
        }
    }

    private func fail(_ error: any Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }
}
