import Foundation
import LedgerDerive
import LedgerDiscover
import LedgerModel
import LedgerRuntime
import LedgerStore
import Logging

/// Stages 1–5 for a set of inputs: discover → decode → parse → load → derive.
///
/// 1. discover: list the files under every input (all paths are checked before anything is
///    read); a file whose size and mtime match the manifest is not opened again.
/// 2. decode + 3. parse: on `workers` threads, at most 2 × `workers` files ahead of the
///    writer; each file is read once (hash, inflate, split lines, parse in one pass) after a
///    short look at its head to recognise the format, and its rows leave in pieces of
///    `pieceRows` as they are parsed (`OrderedWorkers`, `FileChannels`).
/// 4. load: one writer stores the files in input order, each all or nothing (a savepoint that
///    takes its pieces as they come), committing a group of files at a time; a file
///    whose bytes are already stored under another path is rolled back at its end and recorded
///    as a duplicate.
/// 5. derive: the derived tables are rebuilt in one transaction, when anything was stored.
public struct Ingestor: Sendable {
    public let store: LedgerStore
    public let configuration: Configuration
    public var workers: Int
    public var logger: Logger
    /// Called after each file is stored: files done, files to read, bytes read so far.
    public var progress: (@Sendable (Progress) -> Void)?
    /// How much the writer stores before committing: a group ends after this many files or this
    /// many input bytes, whichever comes first.
    ///
    /// A commit waits for the disk a few times (milliseconds), so groups keep that small for many
    /// small files, and a kill loses at most one group. Counted, not timed, so that the same inputs
    /// commit at the same places and give the same database bytes (SQLite's header counts commits).
    public var commitFiles = 256
    public var commitBytes: Int64 = 64 << 20

    /// How far an ingest is.
    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        public var bytes: Int64
    }

    public init(store: LedgerStore, configuration: Configuration, workers: Int? = nil, logger: Logger? = nil) {
        self.store = store
        self.configuration = configuration
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.logger = logger ?? Logger(label: "session-ledger.ingest")
    }

    /// Rows a parser may hold before they go to the writer.
    static let pieceRows = 4096

    /// Memory of parsed rows that files after the one being written may queue (``FileChannels``, by
    /// ``TableBatch/byteCount``).
    ///
    /// Less kept the Livy log's parser standing still while the writer was held to the pace of the
    /// ResourceManager log's parser (benchmarks/NOTES.md, `aheadBytes`); the peak memory it adds
    /// stays far under SPEC §7's bar.
    static let aheadBytes = 64 << 20

    public func ingest(_ inputs: [Configuration.Input]) async throws(LedgerError) -> IngestSummary {
        let jobs = try IngestPlan.discover(inputs, configuration: configuration)
        var manifest = try store.manifest()
        let missing = CopyDetector.missingHashes(in: manifest)
        if !missing.isEmpty {
            try store.write { try LedgerStore.recordHashes($0, missing) }
            manifest = try store.manifest()
        }
        var plan = IngestPlan(jobs: jobs, manifest: manifest)
        let moves = CopyDetector.moves(among: plan.toRead, manifest: manifest, unchanged: plan.unchanged)
        for (job, old) in moves {
            try store.move(from: old, to: job.file.path, size: job.file.size, mtimeNanos: job.file.mtimeNanos)
            plan.reports[job.index] = FileReport(
                path: job.file.path, action: .moved, status: manifest[old]?.status ?? .ok, format: nil,
                records: 0, duplicates: 0, rejected: 0, detail: "moved from \(old)")
        }
        if !moves.isEmpty {
            let moved = Set(moves.map(\.job.index))
            plan.toRead.removeAll { moved.contains($0.index) }
            manifest = try store.manifest()
        }

        let hashes = HashLane()
        defer { hashes.stop() }
        var writer = StoreWriter(
            store: store, copies: CopyDetector(manifest: manifest, hashes: hashes, reread: plan.reread))
        let clock = ContinuousClock()
        let started = clock.now
        CopyDetector.markDeferredHashes(&plan.toRead, within: CopyDetector.deferredHashBytes)
        try write(plan.toRead, into: &writer, reports: &plan.reports)
        logger.debug("read and stored \(plan.toRead.count) file(s) in \(started.duration(to: clock.now))")

        var summary = IngestSummary()
        summary.files = plan.reports.compactMap { $0 } + writer.heldReports
        for report in summary.files {
            logger.debug(
                "\(report.action.rawValue): \(report.path)",
                metadata: [
                    "status": "\(report.status.rawValue)", "format": "\(report.format ?? "-")",
                    "records": "\(report.records)", "duplicates": "\(report.duplicates)",
                    "rejected": "\(report.rejected)",
                ])
        }
        for report in summary.files where report.action != .unchanged {
            if report.status.isProblem {
                summary.diagnostics.append(
                    Diagnostic(.error, path: report.path, report.detail ?? report.status.rawValue))
            } else if report.rejected > 0 {
                summary.diagnostics.append(
                    Diagnostic(
                        .warning, path: report.path,
                        "\(report.rejected) line(s) could not be parsed; see the quarantine table"))
            }
        }
        summary.derived = try deriveIfNeeded(storedAnything: writer.storedAnything, copies: &writer.copies)
        let left = writer.copies.finishHashes()  // none: a stored file makes a derive
        if !left.isEmpty { try store.write { try LedgerStore.recordHashes($0, left) } }
        return summary
    }

    /// Parses `toRead` on `workers` threads, a few files ahead, and stores them here, in input
    /// order.
    ///
    /// Each file reaches the writer in pieces of at most `pieceRows` rows, so memory stays bounded
    /// however large a file is. On a failure the files stored before it are kept, as they would be
    /// one by one, with their hashes, and the failure is thrown.
    private func write(_ toRead: [IngestPlan.Job], into writer: inout StoreWriter, reports: inout [FileReport?])
        throws(LedgerError)
    {
        var bytesRead: Int64 = 0
        let channels = FileChannels(files: toRead.count, perFile: 2, aheadBytes: Self.aheadBytes)
        // Up to 2 × `workers` files ahead of the writer: a file is taken once it is written.
        let parsers = OrderedWorkers<Void, Void>(threads: workers, ahead: workers * 2)
        for (i, job) in toRead.enumerated() {
            parsers.submit { FileReader.read(job) { channels.send($0, file: i) } }
        }
        var failure: LedgerError?
        // Files are committed in groups (`commitFiles`, `commitBytes`), each file still all or
        // nothing in a savepoint: a kill loses at most one group, which the next run reads
        // again, and small files do not each wait for the disk.
        var groupFiles = 0
        var groupBytes: Int64 = 0
        do throws(LedgerError) { try store.beginGroup() } catch {
            failure = error
            channels.cancel()
        }
        for (position, job) in toRead.enumerated() where failure == nil {
            do throws(LedgerError) {
                reports[job.index] = try writer.write(path: job.file.path) { channels.receive(file: position) }
                CrashPoint.reached(.afterFile(position + 1))
                bytesRead += job.file.size
                groupFiles += 1
                groupBytes += job.file.size
                if groupFiles >= commitFiles || groupBytes >= commitBytes {
                    try store.commitGroup()
                    try store.beginGroup()
                    groupFiles = 0
                    groupBytes = 0
                }
                progress?(Progress(done: position + 1, total: toRead.count, bytes: bytesRead))
            } catch {
                failure = error
                channels.cancel()
                break
            }
            _ = try? parsers.take(position)  // a file's reading never fails: its problems are its status
        }
        // The files stored before a failure are kept, as they would be one by one.
        do throws(LedgerError) { try store.commitGroup() } catch {
            store.rollbackGroup()
            if failure == nil { failure = error }
        }
        parsers.stop()  // a parser waiting for room was let go by `channels.cancel()`
        // The parse threads' freed rows stay in glibc's per-thread arenas; give them back to
        // the system before derive, so that peak memory is the larger of the two stages, not
        // their sum.
        FreedMemory.giveBack()
        if let failure {
            // The files stored before it are kept: so are their hashes.
            let found = writer.copies.finishHashes()
            if !found.isEmpty { _ = try? store.write { try LedgerStore.recordHashes($0, found) } }
            throw failure
        }
    }

    /// Rebuilds the derived tables in one transaction when anything was stored now, or was stored
    /// by a run that died before deriving, or when the settings differ from those the derived
    /// tables were made with (a new rate card reprices every session at the next run).
    ///
    /// The hashes left to compute are computed meanwhile (``HashLane``) and recorded in its
    /// transaction; if it fails, on their own.
    private func deriveIfNeeded(storedAnything: Bool, copies: inout CopyDetector) throws(LedgerError) -> Bool {
        let clock = ContinuousClock()
        let stale = try store.needsDerive()
        let settings = try configuration.deriveSettings()
        let recordedSettings = [
            Reporting.Setting.deriveSettings: settings.json,
            Reporting.Setting.timeZones: configuration.provenanceTimeZones.joined(separator: "; "),
            Reporting.Setting.rateCard: configuration.provenanceRateCard.joined(separator: "; "),
            Reporting.Setting.configDigest: configuration.digest,
        ]
        var changed = false
        for (key, value) in recordedSettings where try store.setting(key) != value { changed = true }
        if storedAnything || stale || changed {
            CrashPoint.reached(.beforeDerive)
            let deriving = clock.now
            var recorded: [(fileID: Int64, sha256: String?)] = []
            do {
                try store.derive { db, readers in
                    try Deriver.rebuild(db, settings: settings, readers: readers) {
                        logger.debug("derived \($0) in \($1)")
                    }
                    let waiting = clock.now
                    recorded = copies.finishHashes()
                    if !recorded.isEmpty {
                        logger.debug(
                            "waited for \(recorded.count) deferred hash(es) in \(waiting.duration(to: clock.now))")
                    }
                    try LedgerStore.recordHashes(db, recorded)
                    try LedgerStore.recordSettings(db, recordedSettings)
                    CrashPoint.reached(.insideDerive)
                }
            } catch {
                let found = recorded + copies.finishHashes()
                if !found.isEmpty { _ = try? store.write { try LedgerStore.recordHashes($0, found) } }
                throw error
            }
            logger.debug("derived in \(deriving.duration(to: clock.now))")
            return true
        }
        return false
    }
}
