import Foundation
import GRDB
import LedgerModel
import LedgerRuntime
import LedgerStore

/// Derives the sessions on several threads while the derive's own connection writes them.
///
/// Deriving a session is mostly reading: the cluster's Livy lines walked in time order
/// (``SessionDeriver/walk(_:clusterID:blockSize:)``), its apps (``SessionDeriver/ClusterLookups``),
/// then each session finished with its app, requests and identity (``SessionDeriver/finish``).
/// On one thread the reading and the inserting took turns on one core. Here threads, each with
/// a read-only connection of its own (``LedgerReaders``, in one read transaction: the staging
/// tables as committed before the derive), walk a cluster and read its apps side by side, then
/// finish its sessions a block at a time; the writer inserts the blocks in order as they come.
/// The next cluster is walked while this one's blocks are finished and written.
///
/// The rows, and the order they are written in, are those of the one-thread derive: a cluster's
/// sessions are walked in one piece, finished from the same values, and written block after
/// block in walk order, clusters in order. Memory stays bounded: a block is finished at most
/// `ahead` blocks before the writer takes it, a block's sessions are let go once it is finished,
/// and at most two clusters are held.
final class ParallelSessions: @unchecked Sendable {
    /// How the work is cut: threads (each a read connection), sessions a block, blocks finished
    /// ahead of the writer.
    struct Shape: Sendable {
        var threads: Int
        var blockSize = 256
        var ahead = 16

        /// A thread a core (the writer waits on them more than it works), at most four.
        static var automatic: Shape { Shape(threads: min(ProcessInfo.processInfo.activeProcessorCount, 4)) }
    }

    private let clusters: [(id: String, asOf: Int64)]
    private let readers: LedgerReaders
    private let shape: Shape
    private let settings: DeriveSettings
    private let identity: IdentityDeriver.SessionContext

    // All below are guarded by `condition`.
    private let condition = NSCondition()
    /// Walks and lookups asked for, in order; a thread takes them when no block is waiting.
    private var requested: [Job] = []
    private var walks: [Int: SessionDeriver.Builds] = [:]
    private var lookups: [Int: SessionDeriver.ClusterLookups] = [:]
    /// The cluster being finished: its blocks not yet handed out, and its lookups.
    private var current: (index: Int, blocks: [[SessionDeriver.Build]], found: SessionDeriver.ClusterLookups)?
    private var nextBlock = 0
    /// Blocks the writer took, of the current cluster.
    private var taken = 0
    private var finished: [Int: TableBatch] = [:]
    private var failure: (any Error)?
    private var stopping = false
    private let stopped = DispatchGroup()

    init(
        clusters: [(id: String, asOf: Int64)], readers: LedgerReaders, shape: Shape, settings: DeriveSettings,
        identity: IdentityDeriver.SessionContext
    ) {
        precondition(shape.threads > 0 && shape.ahead > 0)
        self.clusters = clusters
        self.readers = readers
        self.shape = shape
        self.settings = settings
        self.identity = identity
    }

    /// Starts the threads, runs `meanwhile` on this thread, then hands the sessions' rows to
    /// `write`, a block at a time, in order. Returns when every thread has stopped (and let go
    /// of its connection), after a failure too: the first error is thrown.
    func run(meanwhile: () throws -> Void, write: (TableBatch) throws -> Void) throws {
        guard !clusters.isEmpty else { return try meanwhile() }
        request(0)
        for _ in 0..<shape.threads {
            stopped.enter()
            Thread { [self] in
                work()
                stopped.leave()
            }.start()
        }
        defer {
            condition.lock()
            stopping = true
            condition.broadcast()
            condition.unlock()
            stopped.wait()
        }
        try meanwhile()
        var sinceGivenBack = 0
        for index in clusters.indices {
            let blocks = try startFinishing(index)
            if index + 1 < clusters.count { request(index + 1) }
            for block in 0..<blocks {
                let rows = try take(block)
                sinceGivenBack += rows.rowCount
                try write(rows)
            }
            // The threads' arenas hold what a large cluster's walk freed (a year's busy cluster:
            // tens of MiB each); give it back after every 20,000 sessions or so, not after each
            // of a thousand small clusters (a trim walks every arena).
            if sinceGivenBack >= 20_000 {
                FreedMemory.giveBack()
                sinceGivenBack = 0
            }
        }
    }

    private func request(_ index: Int) {
        condition.lock()
        // Two jobs, so that two threads walk the cluster and read its apps side by side.
        requested += [.walk(index), .lookups(index)]
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for cluster `index`'s walk and lookups, lets the threads finish its sessions, and
    /// says how many blocks they are.
    private func startFinishing(_ index: Int) throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && (walks[index] == nil || lookups[index] == nil) { condition.wait() }
        if let failure { throw failure }
        let blocks = walks.removeValue(forKey: index)!.blocks
        current = (index, blocks, lookups.removeValue(forKey: index)!)
        nextBlock = 0
        taken = 0
        condition.broadcast()
        return blocks.count
    }

    /// Waits for block `block` of the current cluster and takes its rows.
    private func take(_ block: Int) throws -> TableBatch {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && finished[block] == nil { condition.wait() }
        if let failure { throw failure }
        taken = block + 1
        condition.broadcast()
        return finished.removeValue(forKey: block)!
    }

    private enum Job {
        case walk(Int)
        case lookups(Int)
        case finish(cluster: Int, block: Int, builds: [SessionDeriver.Build], found: SessionDeriver.ClusterLookups)
    }

    /// The next job, or nil when it is time to stop. The current cluster's blocks come first:
    /// the writer waits for them.
    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if stopping || failure != nil { return nil }
            if let c = current, nextBlock < c.blocks.count, nextBlock - taken < shape.ahead {
                let block = nextBlock
                nextBlock += 1
                let builds = c.blocks[block]
                current!.blocks[block] = []  // the job holds the only copy: freed when finished
                return .finish(cluster: c.index, block: block, builds: builds, found: c.found)
            }
            if !requested.isEmpty { return requested.removeFirst() }
            condition.wait()
        }
    }

    private func deliver(_ body: () -> Void) {
        condition.lock()
        body()
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        do {
            let queue = try readers.open()
            try queue.read { db in
                let statements = try SessionDeriver.Statements(db)
                while let job = nextJob() {
                    switch job {
                    case .walk(let index):
                        let builds = try SessionDeriver.walk(db, clusterID: clusters[index].id, blockSize: shape.blockSize)
                        deliver { walks[index] = builds }
                    case .lookups(let index):
                        let found = try SessionDeriver.ClusterLookups(db, statements, clusterID: clusters[index].id)
                        deliver { lookups[index] = found }
                    case .finish(let cluster, let block, let builds, let found):
                        let rows = try SessionDeriver.finish(
                            db, statements, found, builds, asOf: clusters[cluster].asOf, settings: settings, identity: identity)
                        deliver { finished[block] = rows }
                    }
                }
            }
        } catch {
            deliver { if failure == nil { failure = error } }
        }
    }
}
