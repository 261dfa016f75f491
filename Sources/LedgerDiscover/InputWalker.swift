import Foundation
import LedgerModel

/// A file found under the input paths, before it is read.
public struct DiscoveredFile: Sendable, Equatable {
    /// The path as the user named it, joined with the part found below it (never made
    /// absolute, so a moved checkout keeps its names).
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNanos: Int64
    /// What the path's layout says (cluster, instance, account, region).
    public var context: InputContext

    public init(path: String, size: Int64, mtimeNanos: Int64, context: InputContext) {
        self.path = path
        self.size = size
        self.mtimeNanos = mtimeNanos
        self.context = context
    }
}

/// Walks input paths and lists the regular files under them in a stable order.
///
/// Hidden entries (names starting with `.`) are skipped; symbolic links are followed, each
/// directory is visited once. The result is sorted by path bytes, so the same tree always gives
/// the same order and so the same database.
public enum InputWalker {
    /// - Throws: ``LedgerError/input(path:message:)`` for a path that does not exist or cannot
    ///   be listed; nothing is read before every path has been checked.
    public static func discover(_ paths: [String]) throws(LedgerError) -> [DiscoveredFile] {
        var found: [DiscoveredFile] = []
        var seenDirectories = Set<FileIdentity>()
        var seenPaths = Set<String>()
        for raw in paths {
            let path = normalise(raw)
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw .input(path: raw, message: "cannot read: \(String(cString: strerror(errno)))")
            }
            try walk(path, st, &found, &seenDirectories)
        }
        found = found.filter { seenPaths.insert($0.path).inserted }
        found.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return found
    }

    private struct FileIdentity: Hashable {
        let device: UInt64
        let inode: UInt64
    }

    private static func walk(
        _ path: String, _ st: stat, _ found: inout [DiscoveredFile],
        _ seen: inout Set<FileIdentity>
    ) throws(LedgerError) {
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            found.append(
                DiscoveredFile(
                    path: path, size: Int64(st.st_size), mtimeNanos: mtime,
                    context: LayoutContext.infer(path: path)))
        case S_IFDIR:
            guard seen.insert(FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))).inserted
            else { return }
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                throw .input(path: path, message: "cannot list the directory: \(error.localizedDescription)")
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                let child = path == "/" ? "/" + name : path + "/" + name
                var cst = stat()
                guard stat(child, &cst) == 0 else { continue }  // a dangling link: nothing to read
                try walk(child, cst, &found, &seen)
            }
        default:
            return  // sockets, devices, fifos: not log files
        }
    }

    /// Drops `./` segments and trailing slashes, so `samples/` and `./samples` name the same
    /// files the same way.
    static func normalise(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.isEmpty { return path.hasPrefix("/") ? "/" : "." }
        let absolute = path.hasPrefix("/")
        if parts.count > 1, parts.first == "." { parts.removeFirst() }
        return (absolute ? "/" : "") + parts.joined(separator: "/")
    }
}
