import Foundation

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
