import Foundation
import GRDB
import LedgerModel
import LedgerRuntime
import LedgerSQLite

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
/// and at most two clusters are held. The threads are ``OrderedWorkers``: the blocks are its
/// ordered jobs; the next cluster's walk and lookups run when no block can start (`whenIdle`).
final class ParallelSessions {
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

    /// What a thread's jobs share: its read connection, in one read transaction, and the
    /// statements prepared on it.
    struct Reader {
        let db: Database
        let statements: SessionDeriver.Statements
    }

    /// A job's result.
    ///
    /// Each is made on one thread and handed to the writer's, never shared.
    enum Result: @unchecked Sendable {
        case walked(SessionDeriver.Builds)
        case lookedUp(SessionDeriver.ClusterLookups)
        case finished(TableBatch)
    }

    /// Starts the threads, runs `meanwhile` on this thread, then hands the sessions' rows to
    /// `write`, a block at a time, in order.
    ///
    /// Returns when every thread has stopped (and let go of its connection), after a failure too:
    /// the first error is thrown.
    func run(meanwhile: () throws -> Void, write: (TableBatch) throws -> Void) throws {
        guard !clusters.isEmpty else { return try meanwhile() }
        let readers = readers
        let workers = OrderedWorkers<Reader, Result>(threads: shape.threads, ahead: shape.ahead) { serve in
            let queue = try readers.open()
            try queue.read { db in try serve(Reader(db: db, statements: try SessionDeriver.Statements(db))) }
        }
        defer { workers.stop() }
        var next = request(0, on: workers)
        try meanwhile()
        var sinceGivenBack = 0
        for index in clusters.indices {
            // The blocks are held here only: each is let go once its job has it.
            var blocks = Self.blocks(try workers.take(next.walk))
            guard case .lookedUp(let found) = try workers.take(next.lookups) else {
                preconditionFailure("a cluster's lookups")
            }
            let asOf = clusters[index].asOf
            var tickets: [Int] = []
            func submitBlock() {
                let builds = blocks[tickets.count]
                blocks[tickets.count] = []  // the job holds the only copy: freed when finished
                let (settings, identity) = (settings, identity)
                tickets.append(
                    workers.submit { reader in
                        .finished(
                            try SessionDeriver.finish(
                                reader.db, reader.statements, found, builds, asOf: asOf, settings: settings,
                                identity: identity))
                    })
            }
            while tickets.count < min(shape.ahead, blocks.count) { submitBlock() }
            if index + 1 < clusters.count { next = request(index + 1, on: workers) }
            for block in blocks.indices {
                guard case .finished(let rows) = try workers.take(tickets[block]) else {
                    preconditionFailure("a block's rows")
                }
                if tickets.count < blocks.count { submitBlock() }
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

    private static func blocks(_ result: Result) -> [[SessionDeriver.Build]] {
        guard case .walked(let builds) = result else { preconditionFailure("a cluster's walk") }
        return builds.blocks
    }

    /// Asks for cluster `index`'s walk and lookups: two jobs, so that two threads walk the
    /// cluster and read its apps side by side, when no block of the cluster before is waiting.
    private func request(_ index: Int, on workers: OrderedWorkers<Reader, Result>) -> (walk: Int, lookups: Int) {
        let (clusterID, blockSize) = (clusters[index].id, shape.blockSize)
        let walk = workers.submit(whenIdle: true) { reader in
            .walked(try SessionDeriver.walk(reader.db, clusterID: clusterID, blockSize: blockSize))
        }
        let lookups = workers.submit(whenIdle: true) { reader in
            .lookedUp(try SessionDeriver.ClusterLookups(reader.db, reader.statements, clusterID: clusterID))
        }
        return (walk, lookups)
    }
}
