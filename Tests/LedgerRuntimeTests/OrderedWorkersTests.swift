import Foundation
import LedgerRuntime
import LedgerTestSupport
import Testing

/// The one scheduler: jobs in order, results by number, never more than `ahead` beyond the
/// consumer, the first failure thrown, every thread gone after `stop`.
@Suite("OrderedWorkers: the threads of the ingest and the derive")
struct OrderedWorkersTests {
    /// A counter threads can share.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func add() -> Int {
            lock.withLock {
                value += 1
                return value
            }
        }
        var count: Int { lock.withLock { value } }
    }

    // How this was seen to fail: with `take` handing back the lowest-numbered result finished
    // rather than the one asked for, `take(1)` gave job 0's.
    @Test("each result comes back by its job's number, and each thread sets up its context once")
    func resultsByNumber() throws {
        let setUps = Counter()
        let workers = OrderedWorkers<Int, Int>(threads: 3, ahead: 5) { serve in
            try serve(setUps.add())
        }
        let numbers = (0..<40).map { i in workers.submit { _ in i * i } }
        #expect(numbers == Array(0..<40))
        // Taken out of order too: 1 before 0.
        #expect(try workers.take(1) == 1)
        #expect(try workers.take(0) == 0)
        for i in 2..<40 { #expect(try workers.take(i) == i * i) }
        workers.stop()
        #expect(setUps.count == 3, "every thread ran `around` once, whether it got a job or not")
    }

    // Four threads, three jobs allowed beyond what the consumer took, ten queued, each job held
    // until the test lets it go. Three start; the fourth thread waits for room, and no fourth
    // job starts until one result is taken. How this was seen to fail: with `outstanding` not
    // counted, the fourth job started at once.
    @Test("no more than `ahead` jobs run or wait to be taken; taking one lets the next start")
    func aheadIsABound() throws {
        let started = Counter()
        let gate = DispatchSemaphore(value: 0)
        let workers = OrderedWorkers<Void, Int>(threads: 4, ahead: 3)
        defer { workers.stop() }
        for i in 0..<10 {
            workers.submit { _ in
                _ = started.add()
                gate.wait()
                return i
            }
        }
        #expect(eventually { workers.waiting == 1 || started.count > 3 })
        #expect(started.count == 3)
        #expect(workers.waiting == 1)
        gate.signal()
        #expect(try workers.take(0) == 0)
        #expect(eventually { started.count == 4 })
        for _ in 0..<9 { gate.signal() }
        for i in 1..<10 { #expect(try workers.take(i) == i) }
        #expect(started.count == 10)
    }

    /// The order jobs started in, as names.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var names: [String] = []
        func add(_ name: String) { lock.withLock { names.append(name) } }
        var all: [String] { lock.withLock { names } }
    }

    // One thread. The `whenIdle` job was given before the ordered one, but the ordered one can
    // start when the first ends, so it goes first. How this was seen to fail: with every job in
    // one queue, the order was a, idle, b.
    @Test("a whenIdle job waits while an ordered job can start")
    func idleJobsGoLast() throws {
        let log = Log()
        let gate = DispatchSemaphore(value: 0)
        let workers = OrderedWorkers<Void, Void>(threads: 1, ahead: 2)
        defer { workers.stop() }
        let a = workers.submit { _ in
            log.add("a")
            gate.wait()
        }
        #expect(eventually { log.all == ["a"] })
        let idle = workers.submit(whenIdle: true) { _ in log.add("idle") }
        let b = workers.submit { _ in log.add("b") }
        gate.signal()
        for n in [a, idle, b] { try workers.take(n) }
        #expect(log.all == ["a", "b", "idle"])
    }

    // One thread, one job ahead: the ordered job b cannot start before a is taken, so the idle
    // job runs meanwhile, and is not counted in the bound (a is still not taken when it ends).
    // How this was seen to fail: with `whenIdle` jobs counted in `ahead`, nothing ran after a
    // (the run hung until a timeout killed it).
    @Test("a whenIdle job runs while the bound holds the ordered ones back")
    func idleJobsUseTheBound() throws {
        let log = Log()
        let workers = OrderedWorkers<Void, Void>(threads: 1, ahead: 1)
        defer { workers.stop() }
        let a = workers.submit { _ in log.add("a") }
        let b = workers.submit { _ in log.add("b") }
        let idle = workers.submit(whenIdle: true) { _ in log.add("idle") }
        try workers.take(idle)
        #expect(log.all == ["a", "idle"])
        try workers.take(a)
        try workers.take(b)
        #expect(log.all == ["a", "idle", "b"])
    }

    struct Broken: Error, Equatable { let job: Int }

    // How this was seen to fail: with a thread's error dropped, `take` of the failed job waited
    // for ever (the run hung until a timeout killed it).
    @Test("a failing job stops the workers, and take throws its error")
    func failureIsThrown() throws {
        let workers = OrderedWorkers<Void, Int>(threads: 2, ahead: 4)
        defer { workers.stop() }
        workers.submit { _ in 0 }
        workers.submit { _ in throw Broken(job: 1) }
        #expect(throws: Broken(job: 1)) { _ = try workers.take(1) }
        #expect(throws: Broken(job: 1)) { _ = try workers.take(0) }
    }

    @Test("a thread that cannot set up its context fails the workers the same way")
    func setUpFailureIsThrown() throws {
        let workers = OrderedWorkers<Int, Int>(threads: 1, ahead: 1) { _ in throw Broken(job: -1) }
        defer { workers.stop() }
        workers.submit { $0 }
        #expect(throws: Broken(job: -1)) { _ = try workers.take(0) }
    }

    // How this was seen to fail: with `stop` only asking the threads to end, it returned while
    // the job was still on its way to its end (`ended` was 0).
    @Test("stop returns once the running job has ended")
    func stopWaits() throws {
        let ended = Counter()
        let started = Counter()
        let gate = DispatchSemaphore(value: 0)
        let workers = OrderedWorkers<Void, Void>(threads: 1, ahead: 1)
        workers.submit { _ in
            _ = started.add()
            gate.wait()
            for _ in 0..<1_000 { _ = started.count }  // a job that takes a while after the gate
            _ = ended.add()
        }
        #expect(eventually { started.count == 1 })
        gate.signal()
        workers.stop()
        #expect(ended.count == 1)
    }
}
