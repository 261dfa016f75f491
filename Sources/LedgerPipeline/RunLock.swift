import Foundation
import LedgerModel

/// One run at a time per ledger (SPEC §6, exit 4): an exclusive `flock` on `<database>.lock`, which
/// holds the holder's process id.
///
/// The kernel drops the lock when the holder dies, so a lock left by a crashed run is simply taken
/// over.
public final class RunLock {
    public let path: String
    private let fd: Int32

    /// Another process holds the lock.
    public struct Held: Error {
        public let path: String
        public let holder: String
    }

    public init(database: String) throws(LedgerError) {
        path = database + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .database(path: path, message: "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
    }

    /// Takes the lock or says who has it.
    public func acquire() throws(LedgerError) -> Held? {
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buffer, buffer.count, 0)
            let holder =
                n > 0
                ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                : "unknown"
            return Held(path: path, holder: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, pid.count, 0) }
        return nil
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
