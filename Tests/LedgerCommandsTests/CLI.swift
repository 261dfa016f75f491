import Foundation
import LedgerTestSupport
import Testing

/// Runs the built `session-ledger` binary, as a user or cron would.
struct CLI {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The executable sits next to the test bundle in SwiftPM's build directory.
    static let executable: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("session-ledger").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return Fixtures.project + "/.build/debug/session-ledger"
    }()

    /// Runs `python3` with `arguments` (the tests that check outputs with real parsers and a
    /// real browser).
    static func python(_ arguments: [String]) throws -> Result {
        try run(["python3"] + arguments, executable: "/usr/bin/env")
    }

    static func run(_ arguments: [String], in directory: String? = nil, executable: String = executable) throws
        -> Result
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}
