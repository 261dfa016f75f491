/// How a file's bytes are stored on disk.
public enum Compression: String, Sendable, Equatable {
    case none
    case gzip
}
