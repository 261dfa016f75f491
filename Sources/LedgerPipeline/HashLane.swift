import Crypto
import Foundation
import LedgerDiscover

/// SHA-256 of stored plain logs, computed after their rows are written, on a thread that only
/// runs when a core has nothing else to do.
///
/// Every input file's SHA-256 goes into the manifest (SPEC §3: skip what was stored, know a copy
/// by its bytes). Hashing a plain log as it was parsed put the hash on the parser's path, and
/// the writer waited on it before it could store the next log's rows (benchmarks/NOTES.md,
/// `HashLane`). SHA-256 of one file
/// cannot be split across cores, but it need not come first: a new plain file's rows are
/// written, its hash is asked for here (`add`), and the hashes are recorded before the ingest's
/// derive commits (`finish`). Meanwhile this thread, at the lowest priority (Linux `SCHED_IDLE`),
/// hashes on the cores the writer's tail and the derive leave idle, and `finish` hashes what
/// is left on the caller's thread too, at its priority, from the last file back while this
/// thread goes on from the first (so a busy machine cannot starve it, and an idle core helps).
/// A file that may be a copy of another (same size, or the same line count as a gzip log) is
/// hashed at once instead, when the writer decides about it (``StoreWriter``, ``CopyDetector``).
///
/// Only the last files of a run are hashed here (``CopyDetector/deferredHashBytes``): hashing a
/// file apart from its parse reads it twice (a copy out of the page cache), which pays only
/// where a core would otherwise be idle, at the end: a year's files but the last are hashed as
/// they are parsed (benchmarks/NOTES.md, `HashLane`).
///
/// The hash is of the first `length` bytes: the ones parsed (a log growing meanwhile is read
/// on from there next run, as when it was hashed in the same pass).
final class HashLane: @unchecked Sendable {
    /// One file's hash in progress: whichever thread holds `lock` hashes its next chunk.
    final class Work: @unchecked Sendable {
        let fileID: Int64
        let path: String
        let length: Int
        private let lock = NSLock()
        private var hasher = SHA256()
        private var hashed = 0
        private var fd: Int32 = -1
        private var finished = false
        private(set) var sha256: String?
        /// `finish` has taken this work: the idle-time thread leaves it after its current chunk, or
        /// does not start it.
        ///
        /// Guarded by the lane's `condition`.
        fileprivate var claimed = false

        init(fileID: Int64, path: String, length: Int) {
            self.fileID = fileID
            self.path = path
            self.length = length
        }

        deinit {
            // A work left unfinished (the ingest threw before its derive) keeps no descriptor.
            if fd >= 0 { close(fd) }
        }

        /// Hashes the next chunk into `buffer`; true once the hash is done (or cannot be).
        func advance(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if finished { return true }
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 { return finish(nil) }
            }
            if hashed < length {
                let n = pread(fd, buffer.baseAddress, min(buffer.count, length - hashed), off_t(hashed))
                if n < 0 && errno == EINTR { return false }
                // Shorter than what was parsed: the file changed under us; no hash is recorded.
                if n <= 0 { return finish(nil) }
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                hashed += n
                if hashed < length { return false }
            }
            return finish(Fingerprint.hex(hasher.finalize()))
        }

        private func finish(_ sha: String?) -> Bool {
            if fd >= 0 { close(fd) }
            fd = -1
            sha256 = sha
            finished = true
            return true
        }
    }

    static let chunkSize = 256 << 10

    private let condition = NSCondition()
    private var works: [Work] = []
    /// The next work the idle-time thread takes.
    private var next = 0
    private var stopping = false
    private var thread: Thread?
    private let stopped = DispatchGroup()

    /// Asks for the hash of `path`'s first `length` bytes, recorded for the file `fileID`.
    func add(fileID: Int64, path: String, length: Int) {
        condition.lock()
        defer { condition.unlock() }
        works.append(Work(fileID: fileID, path: path, length: length))
        if thread == nil {
            stopped.enter()
            let t = Thread { [self] in
                #if os(Linux)
                    // Linux schedules threads one by one; 0 is the calling thread. SCHED_IDLE runs it
                    // only when a core has nothing else to run, the policy made for this (nice 19
                    // alone still took a share beside the derive: benchmarks/NOTES.md, `HashLane`);
                    // the nice value stands if the policy is refused.
                    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
                    var param = sched_param(sched_priority: 0)
                    _ = sched_setscheduler(0, 5, &param)  // SCHED_IDLE (glibc hides the name without _GNU_SOURCE)
                #endif
                background()
                stopped.leave()
            }
            thread = t
            t.start()
        }
        condition.broadcast()
    }

    /// Every hash asked for since the last `finish`, in the order asked, computed to the end.
    ///
    /// This thread hashes from the last work back while the idle-time thread goes on from the
    /// first: once the derive leaves a core idle, both hash at once (a starved idle-time thread
    /// had kept the derive waiting: benchmarks/NOTES.md, `HashLane`). A work is claimed before it
    /// is hashed here: the idle-time thread leaves it after its current chunk and takes no
    /// claimed work, so a starved idle-time thread holding a work's lock holds this thread back
    /// by one chunk at most, and the work goes on here where it stopped.
    func finish() -> [Work] {
        condition.lock()
        let all = works
        condition.unlock()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        for work in all.reversed() {
            condition.lock()
            work.claimed = true
            condition.unlock()
            while !work.advance(buffer) {}
        }
        condition.lock()
        // Only works added meanwhile (none: the writer adds them, and it is the one here) stay.
        works.removeFirst(all.count)
        next = max(0, next - all.count)
        condition.broadcast()
        condition.unlock()
        return all
    }

    /// Stops the background thread (after `finish`, or when the ingest gives up).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        let started = thread != nil
        condition.unlock()
        if started { stopped.wait() }
    }

    private func background() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            condition.lock()
            while !stopping && next >= works.count { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            let work = works[next]
            next += 1
            let claimed = work.claimed
            condition.unlock()
            if claimed { continue }
            // Checked between chunks: `stop` and `finish` need not wait for a large file.
            while !work.advance(buffer) && !leaving(work) {}
        }
    }

    /// Whether the idle-time thread should leave `work`: stopping, or `finish` took it.
    private func leaving(_ work: Work) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping || work.claimed
    }
}
