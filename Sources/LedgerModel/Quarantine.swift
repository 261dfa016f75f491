/// A line or record that could not be parsed, kept (sampled) with the reason.
public struct QuarantineEntry: Sendable, Equatable {
    /// 1-based line (or record index); 0 when the problem concerns the file as a whole.
    public var line: Int
    /// A short, stable reason, for example `yarn-rm: memorySeconds is not an integer: "12a"`.
    public var reason: String
    /// The start of the offending text, at most ``QuarantineEntry/excerptLimit`` bytes.
    public var excerpt: String

    public static let excerptLimit = 240

    public init(line: Int, reason: String, excerpt: String) {
        self.line = line
        self.reason = reason
        self.excerpt = excerpt.count > Self.excerptLimit ? String(excerpt.prefix(Self.excerptLimit)) + "…" : excerpt
    }

    /// Builds the excerpt from raw bytes, replacing invalid UTF-8.
    public init(line: Int, reason: String, bytes: UnsafeRawBufferPointer) {
        let cut = UnsafeRawBufferPointer(rebasing: bytes.prefix(Self.excerptLimit))
        var text = String(decoding: cut, as: UTF8.self)
        if bytes.count > Self.excerptLimit { text += "…" }
        self.line = line
        self.reason = reason
        self.excerpt = text
    }
}
