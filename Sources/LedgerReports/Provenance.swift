/// Where a report's numbers came from, printed at its foot (SPEC §5).
public struct Provenance: Sendable {
    public var toolVersion: String
    /// `2025-11-17 … 2025-11-23`, or `all data`.
    public var window: String
    /// `input → time zone`.
    public var timeZones: [String]
    /// `from YYYY-MM-DD: $x per vCPU-hour, $y per GiB-hour`.
    public var rateCard: [String]
    public var configDigest: String
    public var manifestDigest: String

    public init(
        toolVersion: String, window: String, timeZones: [String], rateCard: [String], configDigest: String,
        manifestDigest: String
    ) {
        self.toolVersion = toolVersion
        self.window = window
        self.timeZones = timeZones
        self.rateCard = rateCard
        self.configDigest = configDigest
        self.manifestDigest = manifestDigest
    }
}
