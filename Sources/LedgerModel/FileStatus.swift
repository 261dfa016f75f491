/// What happened to one input file, as stored in the manifest (`input_file.status`).
public enum FileStatus: String, Sendable, CaseIterable, Codable {
    /// Read to the end and parsed.
    case ok
    /// A gzip stream that ends before its end marker; what decoded before the cut is kept,
    /// the cut last line is not.
    case truncated
    /// Bytes that are not valid gzip (or trailing junk after a member); what decoded before
    /// the damage is kept.
    case corrupt
    /// The file could not be opened or read.
    case unreadable
    /// Content that matches no known format; nothing is guessed from it.
    case unrecognised
    /// Same bytes (SHA-256) as a file already ingested under another path; not read again.
    case duplicate
    /// No bytes (or no decoded bytes).
    case empty

    /// Whether the file's problems should be shown as errors.
    public var isProblem: Bool {
        switch self {
        case .ok, .duplicate, .empty: false
        case .truncated, .corrupt, .unreadable, .unrecognised: true
        }
    }
}
