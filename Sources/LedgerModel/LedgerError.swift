import Foundation

/// A fatal problem: the run cannot go on.
///
/// Each case names the artifact and says what to do.
///
/// Recoverable problems (a bad line, a broken file) are ``Diagnostic``s and quarantine rows,
/// never errors.
public enum LedgerError: Error, LocalizedError, Equatable {
    /// A time zone name that is not an IANA zone known to this system.
    case unknownTimeZone(String)
    /// The config file cannot be read or holds a wrong value.
    case config(path: String, line: Int?, message: String)
    /// The database cannot be opened, migrated or written.
    case database(path: String, message: String)
    /// A query that cannot run (or that would write).
    case query(message: String)
    /// An input path that does not exist or cannot be listed.
    case input(path: String, message: String)
    /// A `--format` name that no parser has.
    case unknownFormat(String, known: [String])

    public var errorDescription: String? {
        switch self {
        case .unknownTimeZone(let name):
            return "unknown time zone '\(name)': use an IANA name such as UTC or Europe/Berlin"
        case .config(let path, let line, let message):
            if let line { return "\(path):\(line): \(message)" }
            return "\(path): \(message)"
        case .database(let path, let message):
            return "\(path): \(message)"
        case .query(let message):
            return message
        case .input(let path, let message):
            return "\(path): \(message)"
        case .unknownFormat(let name, let known):
            return "unknown format '\(name)'; known formats: \(known.joined(separator: ", "))"
        }
    }
}
