import Foundation
import LedgerDerive
import LedgerDiscover
import LedgerFormats
import LedgerModel
import LedgerStore
import Logging

/// What happened to one file in one ingest.
public struct FileReport: Sendable, Equatable {
    public enum Action: String, Sendable {
        /// Size and mtime as stored, or same bytes as stored: not read again.
        case unchanged
        /// Read and stored for the first time.
        case loaded
        /// Read again because its content changed; its old rows were replaced.
        case replaced
        /// The bytes of a stored file, now under another name (a rotated log): its rows were
        /// kept and the manifest follows the new name.
        case moved
        /// A plain file that grew (a live Livy `.out`): only what was added was read.
        case appended
    }

    public var path: String
    public var action: Action
    public var status: FileStatus
    public var format: String?
    public var records: Int
    public var duplicates: Int
    public var rejected: Int
    public var detail: String?
}

/// The outcome of one ingest: per-file reports and diagnostics, in input order.
public struct IngestSummary: Sendable {
    public var files: [FileReport] = []
    public var diagnostics: [Diagnostic] = []
    /// Whether the derived tables were rebuilt (only when something was stored).
    public var derived = false

    public func count(_ action: FileReport.Action) -> Int { files.filter { $0.action == action }.count }
    public var records: Int { files.reduce(0) { $0 + $1.records } }
    public var duplicates: Int { files.reduce(0) { $0 + $1.duplicates } }
    public var rejected: Int { files.reduce(0) { $0 + $1.rejected } }
    public func count(_ status: FileStatus) -> Int { files.filter { $0.action != .unchanged && $0.status == status }.count }
}

/// Stages 1–5 for a set of inputs: discover → decode → parse → load → derive.
///
/// 1. discover: list the files under every input (all paths are checked before anything is
///    read); a file whose size and mtime match the manifest is not opened again.
/// 2. decode + 3. parse: on `workers` threads, at most 2 × `workers` files ahead of the
///    writer; each file is read once (hash, inflate, split lines, parse in one pass) after a
///    short look at its head to recognise the format, and its rows leave in pieces of
///    `pieceRows` as they are parsed (`ParseWorkers`, `FileChannels`).
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
    /// How much the writer stores before committing: a group ends after this many files or
    /// this many input bytes, whichever comes first. A commit waits for the disk a few times
    /// (milliseconds), so groups keep that small for many small files, and a kill loses at most
    /// one group. Counted, not timed, so that the same inputs commit at the same places and give
    /// the same database bytes (SQLite's header counts commits).
    public var commitFiles = 256
    public var commitBytes: Int64 = 64 << 20

    /// How far an ingest is.
    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        public var bytes: Int64
    }

    /// Bytes of decoded content looked at to recognise a format.
    static let sniffBytes = 256 * 1024

    public init(store: LedgerStore, configuration: Configuration, workers: Int? = nil, logger: Logger? = nil) {
        self.store = store
        self.configuration = configuration
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.logger = logger ?? Logger(label: "session-ledger.ingest")
    }

    /// A file to read, with the settings of the input it was found under.
    struct Job: Sendable {
        let index: Int
        let file: DiscoveredFile
        let format: String?
        let context: InputContext
        /// What the manifest has for this path, if anything.
        var previous: ManifestEntry? = nil
        /// Whether a new plain file's hash is left to ``HashLane`` (the run's last files).
        var deferHash = false
    }

    /// The run's last files, up to this many bytes, have their hashes computed after they are
    /// stored (``HashLane``); the ones before them as they are parsed. Hashing a file apart
    /// reads it a second time, which pays only where it fills idle cores at the end of the run.
    static let deferredHashBytes: Int64 = 1 << 30

    /// Marks the new files among the last of `jobs` whose sizes sum to at most `limit`.
    static func markDeferredHashes(_ jobs: inout [Job], within limit: Int64) {
        var after: Int64 = 0
        for i in jobs.indices.reversed() {
            after += jobs[i].file.size
            jobs[i].deferHash = after <= limit && jobs[i].previous == nil
        }
    }

    public func ingest(_ inputs: [Configuration.Input]) async throws(LedgerError) -> IngestSummary {
        // Check everything that can be wrong with the request before reading a byte.
        _ = try configuration.deriveSettings()
        for input in inputs {
            if let f = input.format { _ = try FormatRegistry.format(named: f) }
            _ = try LocalTimeConverter(identifier: input.timeZone ?? configuration.timeZone)
        }
        var jobs: [Job] = []
        var claimed = Set<String>()
        for input in inputs {
            for file in try InputWalker.discover([input.path]) where claimed.insert(file.path).inserted {
                var context = file.context
                if let cluster = input.cluster { context.clusterID = cluster }
                context.timeZone = input.timeZone ?? configuration.timeZone
                jobs.append(Job(index: jobs.count, file: file, format: input.format, context: context))
            }
        }
        jobs.sort { $0.file.path.utf8.lexicographicallyPrecedes($1.file.path.utf8) }
        jobs = jobs.enumerated().map { Job(index: $0, file: $1.file, format: $1.format, context: $1.context) }

        var summary = IngestSummary()
        var manifest = try store.manifest()
        if try recordMissingHashes(manifest) { manifest = try store.manifest() }
        var reports = [FileReport?](repeating: nil, count: jobs.count)
        var toRead: [Job] = []
        /// Stored files an earlier revision of their format's parser read: read again, whole.
        var reread = Set<String>()
        for job in jobs {
            let known = manifest[job.file.path]
            let outdated = known.map(Self.readByEarlierParser) ?? false
            // An unreadable file is tried again (permissions change without touching mtime).
            if let known, known.size == job.file.size, known.mtimeNanos == job.file.mtimeNanos, known.status != .unreadable,
                !outdated
            {
                reports[job.index] = FileReport(
                    path: job.file.path, action: .unchanged, status: known.status, format: nil,
                    records: 0, duplicates: 0, rejected: 0, detail: nil)
            } else {
                var job = job
                if outdated {
                    reread.insert(job.file.path)
                } else {
                    job.previous = known
                }
                toRead.append(job)
            }
        }

        // Moves first: a stored file's bytes under a new name, while its old name was not found
        // as it was (log rotation renames `.out` to `.out.1` and starts a new `.out`). The rows
        // stay and follow the new name; the old name, if it has new bytes, is then a new file.
        let unchanged = Set(reports.compactMap { $0?.path })
        var sources: [String: String] = [:]  // SHA-256 → a stored path whose bytes may have moved
        var sourceSizes = Set<Int64>()  // a moved file keeps its size: only those are hashed twice
        for entry in manifest.values.sorted(by: { $0.id < $1.id })
        where !unchanged.contains(entry.path) && entry.status != .duplicate && entry.status != .unreadable {
            if let sha = entry.sha256, sources[sha] == nil {
                sources[sha] = entry.path
                sourceSizes.insert(entry.size)
            }
        }
        if !sources.isEmpty {
            var remaining: [Job] = []
            for job in toRead {
                guard manifest[job.file.path] == nil, sourceSizes.contains(job.file.size) else { remaining.append(job); continue }
                let hash = InputDecoder.decode(path: job.file.path, hashing: true) { _ in }.sha256
                if let hash, let old = sources.removeValue(forKey: hash) {
                    try store.move(from: old, to: job.file.path, size: job.file.size, mtimeNanos: job.file.mtimeNanos)
                    reports[job.index] = FileReport(
                        path: job.file.path, action: .moved, status: manifest[old]?.status ?? .ok, format: nil,
                        records: 0, duplicates: 0, rejected: 0, detail: "moved from \(old)")
                } else {
                    remaining.append(job)
                }
            }
            if remaining.count != toRead.count {
                toRead = remaining
                manifest = try store.manifest()
            }
        }
        let hashes = HashLane()
        defer { hashes.stop() }
        var writer = Writer(store: store, manifest: manifest, hashes: hashes)
        writer.reread = reread
        var bytesRead: Int64 = 0
        let clock = ContinuousClock()
        let started = clock.now
        // Parse on `workers` threads, a few files ahead; store here, in input order. Each file
        // reaches the writer in pieces of at most `pieceRows` rows, so memory stays bounded
        // however large a file is.
        let channels = FileChannels(files: toRead.count, perFile: 2, aheadBytes: Self.aheadBytes)
        Self.markDeferredHashes(&toRead, within: Self.deferredHashBytes)
        let reading = toRead
        let parsers = ParseWorkers(count: workers, window: workers * 2, total: reading.count) { i in
            Self.read(reading[i]) { channels.send($0, file: i) }
        }
        var failure: LedgerError?
        // Files are committed in groups (`commitFiles`, `commitBytes`), each file still all or
        // nothing in a savepoint: a kill loses at most one group, which the next run reads
        // again, and small files do not each wait for the disk.
        var groupFiles = 0
        var groupBytes: Int64 = 0
        do throws(LedgerError) { try store.beginGroup() } catch {
            failure = error
            parsers.cancel()
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
                parsers.cancel()
                channels.cancel()
                break
            }
            parsers.fileWritten()
        }
        // The files stored before a failure are kept, as they would be one by one.
        do throws(LedgerError) { try store.commitGroup() } catch {
            store.rollbackGroup()
            if failure == nil { failure = error }
        }
        parsers.wait()
        // The parse threads' freed rows stay in glibc's per-thread arenas; give them back to
        // the system before derive, so that peak memory is the larger of the two stages, not
        // their sum.
        FreedMemory.giveBack()
        if let failure {
            // The files stored before it are kept: so are their hashes.
            let found = writer.finishHashes()
            if !found.isEmpty { _ = try? store.write { try LedgerStore.recordHashes($0, found) } }
            throw failure
        }
        logger.debug("read and stored \(toRead.count) file(s) in \(started.duration(to: clock.now))")
        summary.files = reports.compactMap { $0 }
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
                summary.diagnostics.append(Diagnostic(.error, path: report.path, report.detail ?? report.status.rawValue))
            } else if report.rejected > 0 {
                summary.diagnostics.append(
                    Diagnostic(.warning, path: report.path, "\(report.rejected) line(s) could not be parsed; see the quarantine table"))
            }
        }
        // Derive when anything was stored now, or was stored by a run that died before deriving,
        // or when the settings differ from those the derived tables were made with (a new rate
        // card reprices every session at the next run).
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
        if writer.storedAnything || stale || changed {
            CrashPoint.reached(.beforeDerive)
            let deriving = clock.now
            // The hashes left to compute are computed while deriving (``HashLane``) and recorded
            // in its transaction; if it fails, on their own.
            var recorded: [(fileID: Int64, sha256: String?)] = []
            do {
                try store.derive { db, readers in
                    try Deriver.rebuild(db, settings: settings, readers: readers) { logger.debug("derived \($0) in \($1)") }
                    let waiting = clock.now
                    recorded = writer.finishHashes()
                    if !recorded.isEmpty {
                        logger.debug("waited for \(recorded.count) deferred hash(es) in \(waiting.duration(to: clock.now))")
                    }
                    try LedgerStore.recordHashes(db, recorded)
                    try LedgerStore.recordSettings(db, recordedSettings)
                    CrashPoint.reached(.insideDerive)
                }
            } catch {
                let found = recorded + writer.finishHashes()
                if !found.isEmpty { _ = try? store.write { try LedgerStore.recordHashes($0, found) } }
                throw error
            }
            logger.debug("derived in \(deriving.duration(to: clock.now))")
            summary.derived = true
        }
        let left = writer.finishHashes()  // none: a stored file makes a derive
        if !left.isEmpty { try store.write { try LedgerStore.recordHashes($0, left) } }
        return summary
    }

    /// A run killed after storing files and before its derive committed left their hashes
    /// unrecorded (``HashLane``); a copy of one of them would not be known. The ones still as
    /// they were stored (size and mtime) are hashed now; a changed one is read again anyway.
    /// Whether a stored file was read by an earlier revision of its format's parser than this
    /// build's (``LogFormat/revision``): its rows may lack what the parser reads now. A copy
    /// (`duplicate`) holds no rows and is left as it is.
    static func readByEarlierParser(_ entry: ManifestEntry) -> Bool {
        guard entry.status != .duplicate, let format = entry.format, let revision = FormatRegistry.revision(of: format) else { return false }
        return entry.parserRevision < revision
    }

    func recordMissingHashes(_ manifest: [String: ManifestEntry]) throws(LedgerError) -> Bool {
        var found: [(fileID: Int64, sha256: String?)] = []
        for entry in manifest.values.sorted(by: { $0.id < $1.id })
        where entry.sha256 == nil && entry.status == .ok && entry.compression == Compression.none.rawValue {
            var info = stat()
            guard stat(entry.path, &info) == 0, Int64(info.st_size) == entry.size,
                Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec) == entry.mtimeNanos
            else { continue }
            found.append((entry.id, Fingerprint.sha256Hex(path: entry.path, length: Int(entry.size))))
        }
        guard found.contains(where: { $0.sha256 != nil }) else { return false }
        try store.write { try LedgerStore.recordHashes($0, found) }
        return true
    }

    /// The single writer: decides, in input order, what each read file becomes in the store.
    struct Writer {
        let store: LedgerStore
        let manifest: [String: ManifestEntry]
        /// SHA-256 → the path stored with those bytes.
        var pathByHash: [String: String] = [:]
        /// Paths read again for a newer parser: their rows are replaced even if their bytes are
        /// the stored ones.
        var reread = Set<String>()
        /// SHA-256 of decoded content → the path stored with it (plain or gzip).
        var pathByContent: [String: String] = [:]
        var storedAnything = false
        /// The hashes of new plain files, computed after their rows are written.
        let hashes: HashLane
        /// Hashes computed and not yet recorded in the manifest.
        private var settled: [(fileID: Int64, sha256: String?)] = []
        /// Sizes of the files stored, and line counts of the gzip logs: a file can only be a
        /// copy of one of these (the same bytes have the same size, the same content as a gzip
        /// log the same lines), so only such a file's hash is needed when it is written.
        private var sizes = Set<Int64>()
        private var gzipLines = Set<Int>()
        /// The same for the files whose hashes are still being computed (plain files): a file
        /// may be a copy of one of them only with its size, or if it is a gzip log its lines.
        private var pendingSizes = Set<Int64>()
        private var pendingLines = Set<Int>()

        init(store: LedgerStore, manifest: [String: ManifestEntry], hashes: HashLane) {
            self.store = store
            self.manifest = manifest
            self.hashes = hashes
            for entry in manifest.values.sorted(by: { $0.id < $1.id }) {
                sizes.insert(entry.size)
                if entry.compression != Compression.none.rawValue && entry.status == .ok { gzipLines.insert(entry.lines) }
                if let sha = entry.sha256, entry.status != .duplicate, pathByHash[sha] == nil {
                    pathByHash[sha] = entry.path
                }
                if let content = entry.contentSHA256, entry.status == .ok, pathByContent[content] == nil {
                    pathByContent[content] = entry.path
                }
            }
        }

        /// Stores the file whose messages `receive` gives. Its rows go into the store as they
        /// come, in the file's one savepoint; a file that turns out, at its end, to be stored
        /// already (touched, copied, rotated and gzipped) is rolled back and recorded as such.
        mutating func write(path: String, receive: () -> FileMessage) throws(LedgerError) -> FileReport {
            guard case .reading(let appending) = receive() else { preconditionFailure("a file's first message is .reading") }
            var pieces = 0
            let streamed = try store.load(
                path: path, appending: appending,
                pieces: {
                    // Asked for the next piece: the ones before it are written (uncommitted).
                    if pieces > 0 { CrashPoint.reached(.afterPiece(pieces)) }
                    switch receive() {
                    case .rows(let batches):
                        pieces += 1
                        return .rows(batches)
                    case .end(var load):
                        if mayMatchPending(load) { settle() }
                        if load.hashLength != nil && (load.status != .ok || mayBeCopy(load)) { hashNow(&load) }
                        return .end(load)
                    case .reading: preconditionFailure("a file began twice")
                    }
                },
                keep: { !isSpecial($0) })
            switch streamed {
            case .rolledBack(let load):
                return try write(load)
            case .stored(let outcome, let load):
                remember(load)
                noteStored(load, fileID: outcome.fileID)
                storedAnything = true
                return FileReport(
                    path: load.path, action: load.appendedAfterLine != nil ? .appended : (outcome.replaced ? .replaced : .loaded),
                    status: load.status, format: load.format, records: outcome.records, duplicates: outcome.duplicates,
                    rejected: load.rejected, detail: load.detail)
            }
        }

        /// Whether the file is not simply stored: its bytes are the stored ones (touched), or a
        /// stored file's under another name, or a stored log's content in other bytes.
        func isSpecial(_ load: FileLoad) -> Bool {
            let known = manifest[load.path]
            if let sha = load.sha256, let known, known.sha256 == sha, !reread.contains(load.path) { return true }
            if let sha = load.sha256, let other = pathByHash[sha], other != load.path { return true }
            if known == nil, load.status == .ok, let content = load.contentSHA256, let other = pathByContent[content], other != load.path {
                return true
            }
            return false
        }

        /// Whether `load` may be a copy of a file whose hash is still being computed (those are
        /// plain: the same bytes, or for a gzip log the same content, so the same lines).
        func mayMatchPending(_ load: FileLoad) -> Bool {
            !pendingSizes.isEmpty
                && (pendingSizes.contains(load.size) || load.hashLength.map { pendingSizes.contains(Int64($0)) } == true
                    || (load.compression != Compression.none.rawValue && pendingLines.contains(load.lines)))
        }

        /// Whether `load`, whose hash is not computed yet, may be a stored file's copy.
        func mayBeCopy(_ load: FileLoad) -> Bool {
            sizes.contains(load.size) || load.hashLength.map { sizes.contains(Int64($0)) } == true || gzipLines.contains(load.lines)
        }

        /// Computes `load`'s hash here. The pending hashes are not waited for: a copy of a
        /// pending file has been seen to be one by `mayMatchPending`, which settles them first.
        mutating func hashNow(_ load: inout FileLoad) {
            guard let length = load.hashLength else { return }
            let sha = Fingerprint.sha256Hex(path: load.path, length: length)
            load.sha256 = sha
            load.contentSHA256 = sha
            load.hashLength = nil
        }

        /// Takes the hashes asked for so far: known as the bytes and content of their paths.
        mutating func settle() {
            pendingSizes = []
            pendingLines = []
            for work in hashes.finish() {
                settled.append((work.fileID, work.sha256))
                guard let sha = work.sha256 else { continue }
                if pathByHash[sha] == nil { pathByHash[sha] = work.path }
                if pathByContent[sha] == nil { pathByContent[sha] = work.path }
            }
        }

        /// The hashes to record in the manifest (``LedgerStore/recordHashes(_:_:)``), every one
        /// asked for computed.
        mutating func finishHashes() -> [(fileID: Int64, sha256: String?)] {
            settle()
            defer { settled = [] }
            return settled
        }

        /// A stored file's size (and lines, for a gzip log), and its hash asked for if it is not known.
        mutating func noteStored(_ load: FileLoad, fileID: Int64) {
            sizes.insert(load.size)
            if load.compression != Compression.none.rawValue && load.status == .ok { gzipLines.insert(load.lines) }
            if let length = load.hashLength {
                sizes.insert(Int64(length))
                pendingSizes.formUnion([load.size, Int64(length)])
                pendingLines.insert(load.lines)
                hashes.add(fileID: fileID, path: load.path, length: length)
            }
        }

        /// Records which path owns a stored file's bytes and content.
        mutating func remember(_ load: FileLoad) {
            if load.status != .duplicate, let sha = load.sha256, pathByHash[sha] == nil {
                pathByHash[sha] = load.path
            }
            if load.status == .ok, let content = load.contentSHA256, pathByContent[content] == nil {
                pathByContent[content] = load.path
            }
        }

        /// Stores a file whose content is all in `load` (no rows, or few): a special case of
        /// `isSpecial`, or a file stored as read.
        mutating func write(_ load: FileLoad) throws(LedgerError) -> FileReport {
            var load = load
            if mayMatchPending(load) { settle() }
            hashNow(&load)
            let known = manifest[load.path]
            if let sha = load.sha256, let known, known.sha256 == sha, !reread.contains(load.path) {
                // Touched, not changed: keep its rows, remember the new mtime.
                try store.touch(path: load.path, size: load.size, mtimeNanos: load.mtimeNanos)
                return FileReport(
                    path: load.path, action: .unchanged, status: known.status, format: load.format,
                    records: 0, duplicates: 0, rejected: 0, detail: nil)
            }
            if let sha = load.sha256, let other = pathByHash[sha], other != load.path {
                load = FileLoad(
                    path: load.path, size: load.size, mtimeNanos: load.mtimeNanos, sha256: sha,
                    format: load.format, compression: load.compression, status: .duplicate,
                    context: load.context, lines: 0, detail: "same bytes as \(other)")
            } else if known == nil, load.status == .ok, let content = load.contentSHA256,
                let other = pathByContent[content], other != load.path
            {
                // The same content in other bytes: a stored log gzipped after rotation.
                if FileManager.default.fileExists(atPath: other) {
                    load = FileLoad(
                        path: load.path, size: load.size, mtimeNanos: load.mtimeNanos, sha256: load.sha256,
                        format: load.format, compression: load.compression, status: .duplicate,
                        context: load.context, lines: 0, detail: "same content as \(other)")
                } else {
                    // The original is gone (logrotate deletes it): its rows follow the new name.
                    try store.move(from: other, to: load.path, size: load.size, mtimeNanos: load.mtimeNanos,
                                   sha256: load.sha256, compression: load.compression)
                    pathByContent[content] = load.path
                    if let sha = load.sha256 { pathByHash[sha] = load.path }
                    return FileReport(
                        path: load.path, action: .moved, status: .ok, format: load.format,
                        records: 0, duplicates: 0, rejected: 0, detail: "moved from \(other), compressed")
                }
            }
            remember(load)
            let outcome = try store.load(load)
            noteStored(load, fileID: outcome.fileID)
            storedAnything = true
            return FileReport(
                path: load.path, action: load.appendedAfterLine != nil ? .appended : (outcome.replaced ? .replaced : .loaded), status: load.status,
                format: load.format, records: outcome.records, duplicates: outcome.duplicates,
                rejected: load.rejected, detail: load.detail)
        }
    }

    /// Rows a parser may hold before they go to the writer.
    static let pieceRows = 4096

    /// Memory of parsed rows that files after the one being written may queue (``FileChannels``,
    /// by ``TableBatch/byteCount``). Less kept the Livy log's parser standing still while the
    /// writer was held to the pace of the ResourceManager log's parser (benchmarks/NOTES.md,
    /// `aheadBytes`); the peak memory it adds stays far under SPEC §7's bar.
    static let aheadBytes = 64 << 20

    /// Decodes and parses one file and sends what it finds to the writer: `.reading`, rows as
    /// they come, then `.end`. Never fails: every problem becomes the file's status.
    static func read(_ job: Job, send: (FileMessage) -> Void) {
        send(.end(read(job, begin: { send(.reading(appending: $0)) }, rows: { send(.rows($0)) })))
    }

    /// Decodes and parses one file: `begin` hears whether it is read on from where a grown file
    /// was stored up to, `rows` gets rows as they are parsed; the rest is returned.
    static func read(_ job: Job, begin: (_ appending: Bool) -> Void, rows: ([TableBatch]) -> Void) -> FileLoad {
        let file = job.file
        var load = FileLoad(
            path: file.path, size: file.size, mtimeNanos: file.mtimeNanos, sha256: nil, format: nil,
            compression: Compression.none.rawValue, status: .ok, context: job.context)

        // A plain file that only grew since it was stored (same bytes up to the old size, ending
        // in a line break there) is read on from where the last run stopped.
        if let previous = job.previous, previous.status == .ok, previous.compression == Compression.none.rawValue,
            let name = job.format ?? previous.format, let format = try? FormatRegistry.format(named: name),
            format.inputMode == .lines, file.size > previous.size, previous.size > 0,
            Fingerprint.byte(path: file.path, at: Int(previous.size) - 1) == 0x0A,
            let prefix = Fingerprint.sha256Hex(path: file.path, length: Int(previous.size)), prefix == previous.sha256
        {
            begin(true)
            return parse(format, job: job, into: load, from: previous, rows: rows)
        }
        begin(false)

        // Recognise the format from the head of the decoded content (unless forced).
        var format: (any LogFormat.Type)?
        if let forced = job.format {
            format = try? FormatRegistry.format(named: forced)
        } else {
            switch recognise(path: file.path) {
            case .success(let recognised): format = recognised
            case .failure(let why):
                load.status = .unreadable
                load.detail = "cannot read: \(why)"
                return load
            }
        }

        guard let format else {
            // Still hashed: an unrecognised file is recorded once, and skipped when unchanged.
            let result = InputDecoder.decode(path: file.path, hashing: true) { _ in }
            load.sha256 = result.sha256
            load.compression = result.compression.rawValue
            if let problem = result.problem {
                apply(problem, to: &load, lines: 0)
            } else if result.decodedBytes == 0 {
                load.status = .empty
            } else {
                load.status = .unrecognised
                load.detail = "matches no known format (\(FormatRegistry.names.joined(separator: ", "))); use --format to force one"
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
    static func recognise(path: String) -> Result<(any LogFormat.Type)?, Unreadable> {
        var head: [UInt8] = []
        let quick = 4096
        let first = InputDecoder.decode(path: path, hashing: false, limit: quick, chunkSize: quick) { head.append(contentsOf: $0) }
        if case .unreadable(let why) = first.problem { return .failure(Unreadable(why: why)) }
        if head.starts(with: recordsPrefix) { return .success(CloudTrailFormat.self) }
        head = []
        let peek = InputDecoder.decode(path: path, hashing: false, limit: sniffBytes) { head.append(contentsOf: $0) }
        if case .unreadable(let why) = peek.problem { return .failure(Unreadable(why: why)) }
        return .success(FormatRegistry.recognise(HeadSample(bytes: Array(head.prefix(sniffBytes)))))
    }

    static let recordsPrefix = Array(#"{"Records":["#.utf8)

    /// Reads the whole file through `F` (generic, so the per-line calls are direct).
    static func parse<F: LogFormat>(
        _: F.Type, job: Job, into load: FileLoad, from previous: ManifestEntry? = nil, rows: ([TableBatch]) -> Void
    ) -> FileLoad {
        var load = load
        load.format = F.name
        load.parserRevision = F.revision
        // The time zone was checked before any file was read.
        let clock = (try? LocalTimeConverter(identifier: job.context.timeZone)) ?? LocalTimeConverter(timeZone: .gmt)
        var parser = F(context: ParseContext(path: job.file.path, input: job.context, clock: clock))
        var splitter = LineSplitter(lineNumber: previous?.lines ?? 0)
        // A line past the reader's limit (1 MiB), or one that is not text (control bytes,
        // invalid UTF-8), is no log line we read: it is counted, sampled into the quarantine, and
        // skipped, whatever the format.
        var notRead: [QuarantineEntry] = []
        var notReadCount = 0
        func feed(_ line: Line) {
            let problem = line.isOverlong
                ? "line longer than \(LineSplitter.defaultMaxLineLength >> 20) MiB"
                : line.isPrintableASCII ? nil : TextCheck.problem(in: line.bytes)
            guard let problem else {
                return parser.consume(lineNumber: line.number, bytes: line.bytes)
            }
            notReadCount += 1
            if notRead.count < ParseTally.quarantineSampleLimit {
                notRead.append(QuarantineEntry(line: line.number, reason: problem + ", skipped", bytes: UnsafeRawBufferPointer(rebasing: line.bytes.prefix(120))))
            }
        }
        let byLine = F.inputMode == .lines
        // The hash of the decoded content: CloudTrail digests record it, and a gzipped copy of a
        // stored log (logrotate's `.out.1.gz`) is known by it. For a plain file it is the bytes' own.
        let offset = previous.map { Int($0.size) } ?? 0
        // A new plain file's hash is left to the writer (``HashLane``): hashing it here held
        // its rows back from the writer (benchmarks/NOTES.md, `HashLane`).
        var result = InputDecoder.decode(
            path: job.file.path, hashing: offset == 0, hashingDecoded: true, deferPlainHash: job.deferHash && previous == nil, from: offset
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
        load.compression = result.compression.rawValue
        // Lines read this time, the skipped ones included (a grown file's next read starts here).
        let lines = byLine ? splitter.lineNumber - (previous?.lines ?? 0) : parsed.lines
        load.lines = lines
        load.rejected = parsed.rejected + notReadCount
        load.batches = parsed.batches
        load.quarantine = Array((notRead + parsed.quarantine).sorted { $0.line < $1.line }.prefix(ParseTally.quarantineSampleLimit))
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

/// Kill switches for the crash tests, and nothing else: `SESSION_LEDGER_CRASH_AT` set to
/// `file:N` (after the N-th file is stored, maybe not yet committed: files commit in groups),
/// `piece:N` (after the N-th piece of rows of a file is written, inside its savepoint),
/// `before-derive` or `inside-derive` makes the process SIGKILL itself there, so a test can
/// stop a real run at an exact point.
enum CrashPoint {
    enum Point: Equatable {
        case afterFile(Int)
        case afterPiece(Int)
        case beforeDerive
        case insideDerive
    }

    static let target: Point? = {
        guard let value = ProcessInfo.processInfo.environment["SESSION_LEDGER_CRASH_AT"] else { return nil }
        if value == "before-derive" { return .beforeDerive }
        if value == "inside-derive" { return .insideDerive }
        if value.hasPrefix("file:"), let n = Int(value.dropFirst(5)) { return .afterFile(n) }
        if value.hasPrefix("piece:"), let n = Int(value.dropFirst(6)) { return .afterPiece(n) }
        return nil
    }()

    static func reached(_ point: Point) {
        if let target, target == point { kill(getpid(), SIGKILL) }
    }
}
