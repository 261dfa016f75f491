import Foundation
import LedgerDiscover
import LedgerModel
import LedgerStore

/// Every decision about a file's identity, in one place: whether its bytes are the stored ones
/// (touched, not changed), a stored file's under another name (a copy, or a rotated log), or a
/// stored log's content in other bytes (gzipped after rotation), and when its SHA-256 is needed
/// to tell.
///
/// The writer asks it, in input order, about each file it stores (``verdict(_:)``) and tells it
/// what it stored (``stored(_:fileID:)``). The hashes of the run's last new plain files are
/// computed after their rows are written (``HashLane``); this type knows which files could be
/// copies of those (``mayMatchPending(_:)``) and waits for them only then.
struct CopyDetector {
    /// What a file is, beside what the ledger holds.
    enum Verdict: Equatable {
        /// Not stored under any name: store it.
        case new
        /// The bytes stored under its own path (touched, not changed): keep its rows.
        case unchanged(ManifestEntry)
        /// The bytes of the stored file at that path.
        case sameBytes(as: String)
        /// The decoded content of the stored log at that path, in other bytes (gzipped after
        /// rotation), while that log is still there.
        case sameContent(as: String)
        /// The same, with that log gone (logrotate deleted it): its rows follow this name.
        case rotated(from: String)
    }

    let manifest: [String: ManifestEntry]
    /// Paths read again for a newer parser: their rows are replaced even if their bytes are the
    /// stored ones.
    var reread: Set<String>
    /// SHA-256 → the path stored with those bytes.
    private var pathByHash: [String: String] = [:]
    /// SHA-256 of decoded content → the path stored with it (plain or gzip).
    private var pathByContent: [String: String] = [:]
    /// The hashes of new plain files, computed after their rows are written.
    let hashes: HashLane
    /// Hashes computed and not yet recorded in the manifest.
    private var settled: [(fileID: Int64, sha256: String?)] = []
    /// Sizes of the files stored, and line counts of the gzip logs: a file can only be a copy of
    /// one of these (the same bytes have the same size, the same content as a gzip log the same
    /// lines), so only such a file's hash is needed when it is written.
    private var sizes = Set<Int64>()
    private var gzipLines = Set<Int>()
    /// The same for the files whose hashes are still being computed (plain files): a file may be
    /// a copy of one of them only with its size, or if it is a gzip log its lines.
    private var pendingSizes = Set<Int64>()
    private var pendingLines = Set<Int>()

    init(manifest: [String: ManifestEntry], hashes: HashLane, reread: Set<String> = []) {
        self.manifest = manifest
        self.hashes = hashes
        self.reread = reread
        for entry in manifest.values.sorted(by: { $0.id < $1.id }) {
            sizes.insert(entry.size)
            if entry.compression != .none && entry.status == .ok { gzipLines.insert(entry.lines) }
            if let sha = entry.sha256, entry.status != .duplicate, pathByHash[sha] == nil {
                pathByHash[sha] = entry.path
            }
            if let content = entry.contentSHA256, entry.status == .ok, pathByContent[content] == nil {
                pathByContent[content] = entry.path
            }
        }
    }

    // MARK: Deciding

    /// What `load` is, from its hashes (a file whose hash is not computed is `new`).
    func verdict(_ load: FileLoad) -> Verdict {
        let known = manifest[load.path]
        if let sha = load.sha256, let known, known.sha256 == sha, !reread.contains(load.path) {
            return .unchanged(known)
        }
        if let sha = load.sha256, let other = pathByHash[sha], other != load.path { return .sameBytes(as: other) }
        if known == nil, load.status == .ok, let content = load.contentSHA256, let other = pathByContent[content],
            other != load.path
        {
            // A file an extract holds is where its source path says, not on this disk.
            return FileManager.default.fileExists(atPath: other) || ExtractReader.isHeld(other)
                ? .sameContent(as: other) : .rotated(from: other)
        }
        return .new
    }

    /// Readies the hashes of a file whose rows were streamed, at its end: the pending hashes it
    /// may match are taken first, and its own is computed if it may be a copy (or it is damaged:
    /// a damaged file is kept whole, never hashed later).
    mutating func finishing(_ load: inout FileLoad) {
        if mayMatchPending(load) { settle() }
        if load.hashLength != nil && (load.status != .ok || mayBeCopy(load)) { hashNow(&load) }
    }

    /// Readies the hashes of a file stored whole (rolled back, or with no rows): all of them.
    mutating func finishingWhole(_ load: inout FileLoad) {
        if mayMatchPending(load) { settle() }
        hashNow(&load)
    }

    // MARK: Remembering

    /// Records what the writer stored: whose bytes and content it now holds, and its hash asked
    /// for if it is not known.
    mutating func stored(_ load: FileLoad, fileID: Int64) {
        if load.status != .duplicate, let sha = load.sha256, pathByHash[sha] == nil {
            pathByHash[sha] = load.path
        }
        if load.status == .ok, let content = load.contentSHA256, pathByContent[content] == nil {
            pathByContent[content] = load.path
        }
        noteStored(load, fileID: fileID)
    }

    /// Records that a rotated log's rows now follow `load`'s path.
    mutating func rotated(_ load: FileLoad) {
        if let content = load.contentSHA256 { pathByContent[content] = load.path }
        if let sha = load.sha256 { pathByHash[sha] = load.path }
    }

    /// A stored file's size (and lines, for a gzip log), and its hash asked for if it is not known.
    mutating func noteStored(_ load: FileLoad, fileID: Int64) {
        sizes.insert(load.size)
        if load.compression != .none && load.status == .ok { gzipLines.insert(load.lines) }
        if let length = load.hashLength {
            sizes.insert(Int64(length))
            pendingSizes.formUnion([load.size, Int64(length)])
            pendingLines.insert(load.lines)
            hashes.add(fileID: fileID, path: load.path, length: length)
        }
    }

    // MARK: Hashes

    /// Whether `load` may be a copy of a file whose hash is still being computed (those are
    /// plain: the same bytes, or for a gzip log the same content, so the same lines).
    func mayMatchPending(_ load: FileLoad) -> Bool {
        !pendingSizes.isEmpty
            && (pendingSizes.contains(load.size) || load.hashLength.map { pendingSizes.contains(Int64($0)) } == true
                || (load.compression != .none && pendingLines.contains(load.lines)))
    }

    /// Whether `load`, whose hash is not computed yet, may be a stored file's copy.
    func mayBeCopy(_ load: FileLoad) -> Bool {
        sizes.contains(load.size) || load.hashLength.map { sizes.contains(Int64($0)) } == true
            || gzipLines.contains(load.lines)
    }

    /// Computes `load`'s hash here.
    ///
    /// The pending hashes are not waited for: a copy of a pending file has been seen to be one by
    /// `mayMatchPending`, which settles them first.
    func hashNow(_ load: inout FileLoad) {
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

    /// The hashes to record in the manifest (``LedgerStore/recordHashes(_:_:)``), every one asked
    /// for computed.
    mutating func finishHashes() -> [(fileID: Int64, sha256: String?)] {
        settle()
        defer { settled = [] }
        return settled
    }

    // MARK: Before reading

    /// The run's last files, up to this many bytes, have their hashes computed after they are
    /// stored (``HashLane``); the ones before them as they are parsed.
    ///
    /// Hashing a file apart reads it a second time, which pays only where it fills idle cores at
    /// the end of the run.
    static let deferredHashBytes: Int64 = 1 << 30

    /// Marks the new files among the last of `jobs` whose sizes sum to at most `limit`.
    static func markDeferredHashes(_ jobs: inout [IngestPlan.Job], within limit: Int64) {
        var after: Int64 = 0
        for i in jobs.indices.reversed() {
            after += jobs[i].file.size
            jobs[i].deferHash = after <= limit && jobs[i].previous == nil
        }
    }

    /// Moves, found before anything is read: a stored file's bytes under a new name, while its old
    /// name was not found as it was (log rotation renames `.out` to `.out.1` and starts a new
    /// `.out`).
    ///
    /// The rows stay and follow the new name; the old name, if it has new bytes, is then a new
    /// file. Only a new path with a stored file's size is hashed (a moved file keeps its size).
    static func moves(
        among toRead: [IngestPlan.Job], manifest: [String: ManifestEntry], unchanged: Set<String>
    ) -> [(job: IngestPlan.Job, from: String)] {
        var sources: [String: String] = [:]  // SHA-256 → a stored path whose bytes may have moved
        var sourceSizes = Set<Int64>()
        for entry in manifest.values.sorted(by: { $0.id < $1.id })
        where !unchanged.contains(entry.path) && entry.status != .duplicate && entry.status != .unreadable
            && !ExtractReader.isHeld(entry.path)
        {
            if let sha = entry.sha256, sources[sha] == nil {
                sources[sha] = entry.path
                sourceSizes.insert(entry.size)
            }
        }
        guard !sources.isEmpty else { return [] }
        var found: [(job: IngestPlan.Job, from: String)] = []
        for job in toRead where manifest[job.file.path] == nil && sourceSizes.contains(job.file.size) {
            let hash = InputDecoder.decode(path: job.file.path, hashing: true) { _ in }.sha256
            if let hash, let old = sources.removeValue(forKey: hash) { found.append((job, old)) }
        }
        return found
    }

    /// A run killed after storing files and before its derive committed left their hashes
    /// unrecorded (``HashLane``); a copy of one of them would not be known.
    ///
    /// The ones still as they were stored (size and mtime) are hashed now; a changed one is read
    /// again anyway. Empty unless one of them could be hashed.
    static func missingHashes(in manifest: [String: ManifestEntry]) -> [(fileID: Int64, sha256: String?)] {
        var found: [(fileID: Int64, sha256: String?)] = []
        for entry in manifest.values.sorted(by: { $0.id < $1.id })
        where entry.sha256 == nil && entry.status == .ok && entry.compression == .none {
            var info = stat()
            guard stat(entry.path, &info) == 0, Int64(info.st_size) == entry.size,
                Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec) == entry.mtimeNanos
            else { continue }
            found.append((entry.id, Fingerprint.sha256Hex(path: entry.path, length: Int(entry.size))))
        }
        return found.contains(where: { $0.sha256 != nil }) ? found : []
    }
}
