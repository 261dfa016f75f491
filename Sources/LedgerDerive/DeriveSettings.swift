/// What derivation needs from the configuration (the derive module does not read config files).
public struct DeriveSettings: Sendable, Equatable {
    /// A price that applies from `effective` (`YYYY-MM-DD`, UTC) until the next one.
    public struct Rate: Sendable, Equatable {
        public var effective: String
        public var vcpuHourUSD: Double
        public var gbHourUSD: Double

        public init(effective: String, vcpuHourUSD: Double, gbHourUSD: Double) {
            self.effective = effective
            self.vcpuHourUSD = vcpuHourUSD
            self.gbHourUSD = gbHourUSD
        }
    }

    /// `abandoned` when the idle tail reaches this many seconds.
    public var abandonAfterSeconds: Int
    /// The rate card, any order.
    public var rates: [Rate]

    public init(abandonAfterSeconds: Int = 3600, rates: [Rate]) {
        self.abandonAfterSeconds = abandonAfterSeconds
        self.rates = rates.sorted { $0.effective < $1.effective }
    }

    /// The rate in force on `day` (`YYYY-MM-DD`): the latest entry effective on or before it;
    /// for a day before the first entry, the first entry.
    public func rate(on day: String) -> Rate? {
        rates.last { $0.effective <= day } ?? rates.first
    }
}
