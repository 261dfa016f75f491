import CZlib
import Foundation

/// Where the test inputs are.
public enum Fixtures {
    /// `Tests/LedgerTestSupport/Fixtures`.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    /// The project's checkout.
    public static let project = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    /// `../shared/realdata`: real public log files by others (see its SOURCES.md).
    public static let realdata = URL(fileURLWithPath: project).deletingLastPathComponent()
        .appendingPathComponent("shared/realdata").path

    public static func path(_ relative: String) -> String { root + "/" + relative }

    public static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(relative))))
    }
}

/// Real gzip members written by zlib, so tests build `.gz` inputs from plain fixtures.
public enum Gzip {
    /// One gzip member holding `bytes`.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        precondition(czlib_deflate_init2(&stream, level, 15 + 16) == Z_OK)
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
        var input = bytes
        let produced = input.withUnsafeMutableBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                let rc = deflate(&stream, Z_FINISH)
                precondition(rc == Z_STREAM_END, "deflate: \(rc)")
                return outBuf.count - Int(stream.avail_out)
            }
        }
        return Array(out.prefix(produced))
    }
}

/// A fresh directory under the system's temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "ledger-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `bytes` at `relative` (creating directories) and returns the full path.
    @discardableResult
    public func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    @discardableResult
    public func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, Array(text.utf8))
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A directory for a fixture built once and shared by a suite's tests, which no test can
    /// remove: it is removed when the test process exits, so runs leave no ledgers behind.
    public static func removedAtExit(_ label: String) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory(label)
        ExitCleanup.add(dir.path)
        return dir
    }
}

/// The shared fixture directories to remove at exit (one `atexit` handler for all).
private enum ExitCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [String] = []
    private static let registered: Void = {
        atexit { ExitCleanup.removeAll() }
    }()

    static func add(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        _ = registered
        paths.append(path)
    }

    static func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
        paths = []
    }
}

/// A small seeded generator (SplitMix64), so that mutation tests repeat exactly.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Damages bytes the ways real files get damaged: flipped bytes, cut, inserted junk and breaks.
public func mutate(_ bytes: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
    var out = bytes
    for _ in 0..<Int.random(in: 1...8, using: &rng) {
        guard !out.isEmpty else { break }
        let at = Int.random(in: 0..<out.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: out[at] = UInt8.random(in: 0...255, using: &rng)
        case 1: out.removeSubrange(at..<min(out.count, at + Int.random(in: 1...64, using: &rng)))
        case 2:
            out.insert(
                contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng)
                }, at: at)
        case 3: out.insert(0x0A, at: at)
        default: out = Array(out.prefix(at))
        }
    }
    return out
}

/// Inflates a gzip file with `gzip -dc` (not with the code under test).
public enum Gunzip {
    public static func decode(_ path: String) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-dc", path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Array(data)
    }
}

/// SHA-256 by coreutils' `sha256sum`, not by the code under test.
public func sha256sum(_ bytes: [UInt8]) throws -> String {
    let dir = try TemporaryDirectory("sha")
    defer { dir.remove() }
    let path = try dir.write("x", bytes)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["sha256sum", path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}

/// Golden files: committed output a test compares the code's with (`Reports/samples/`).
///
/// `RECORD_GOLDENS=1 swift test --disable-xctest --filter <test>` writes the output over the
/// golden files instead of comparing, after an intended change; read the diff before committing.
/// Never for expectations worked out by hand or by the samples' generator.
public enum Golden {
    public static var recording: Bool { ProcessInfo.processInfo.environment["RECORD_GOLDENS"] == "1" }

    /// Whether `actual` is the golden file at `path`; when recording, it becomes it (and matches).
    public static func matches(_ actual: Data?, golden path: String) throws -> Bool {
        if recording, let actual {
            try actual.write(to: URL(fileURLWithPath: path), options: .atomic)
            return true
        }
        return actual == (try? Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Whether `condition` comes true within 10 s, polled every millisecond.
///
/// Ten seconds is long enough for any thread of this machine to get there, and a test waits only
/// as long as it takes. For a state a test can see (a thread seen waiting), never for a time that
/// has to pass.
public func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(10)
    while Date() < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}
