import Foundation

/// What derivation needs from the configuration (the derive module does not read config files).
public struct DeriveSettings: Sendable, Equatable, Codable {
    /// A price that applies from `effective` (`YYYY-MM-DD`, UTC) until the next one.
    public struct Rate: Sendable, Equatable, Codable {
        public var effective: String
        public var vcpuHourUSD: Double
        public var gbHourUSD: Double

        public init(effective: String, vcpuHourUSD: Double, gbHourUSD: Double) {
            self.effective = effective
            self.vcpuHourUSD = vcpuHourUSD
            self.gbHourUSD = gbHourUSD
        }
    }

    /// A cluster's Spark defaults for every session on it: what a session's own conf overrides.
    public struct ClusterSpark: Sendable, Equatable, Codable {
        /// `spark.dynamicAllocation.enabled`; nil: on, as EMR and Glue set it.
        public var dynamicAllocation: Bool?
        /// `spark.dynamicAllocation.maxExecutors`; nil: none (Spark's default is no limit).
        public var maxExecutors: Int?

        public init(dynamicAllocation: Bool? = nil, maxExecutors: Int? = nil) {
            self.dynamicAllocation = dynamicAllocation
            self.maxExecutors = maxExecutors
        }
    }

    /// `abandoned` when the idle tail reaches this many seconds.
    public var abandonAfterSeconds: Int
    /// The rate card, any order.
    public var rates: [Rate]
    /// How long a sign-in counts as interactive when no logout follows (SPEC §4), seconds.
    public var interactiveSessionDurationSeconds: Int
    /// The user background session duration in force, seconds.
    public var backgroundSessionDurationSeconds: Int
    /// Users from `identities.csv`.
    public var identities: [Identity]
    /// IAM role ARNs (or names) per cluster, from the config, besides those `RunJobFlow` names.
    public var clusterRoles: [String: [String]]
    /// What each cluster's spark-defaults say about executors (`[[clusters]]` in the config).
    public var clusterSpark: [String: ClusterSpark]
    /// Each cluster's AWS account from the config, over `RunJobFlow`'s and the log layout's.
    public var clusterAccounts: [String: String]
    /// `livy.server.session.timeout` as configured, seconds; nil: as each idle-timeout line prints it.
    public var livySessionTimeoutSeconds: Int?

    public init(
        abandonAfterSeconds: Int = 3600, rates: [Rate], interactiveSessionDurationSeconds: Int = 8 * 3600,
        backgroundSessionDurationSeconds: Int = 7 * 86_400, identities: [Identity] = [],
        clusterRoles: [String: [String]] = [:], clusterSpark: [String: ClusterSpark] = [:],
        clusterAccounts: [String: String] = [:], livySessionTimeoutSeconds: Int? = nil
    ) {
        self.clusterSpark = clusterSpark
        self.clusterAccounts = clusterAccounts
        self.livySessionTimeoutSeconds = livySessionTimeoutSeconds
        self.backgroundSessionDurationSeconds = backgroundSessionDurationSeconds
        self.abandonAfterSeconds = abandonAfterSeconds
        self.rates = rates.sorted { $0.effective < $1.effective }
        self.interactiveSessionDurationSeconds = interactiveSessionDurationSeconds
        self.identities = identities
        self.clusterRoles = clusterRoles
    }

    /// The rate in force on `day` (`YYYY-MM-DD`): the latest entry effective on or before it;
    /// for a day before the first entry, the first entry.
    public func rate(on day: String) -> Rate? {
        rates.last { $0.effective <= day } ?? rates.first
    }
}

extension DeriveSettings {
    /// The settings as JSON text with sorted keys: stored in the ledger by the ingest that
    /// derived with them, so that a later report knows them, and compared to tell a change.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? ""
    }

    /// Settings stored as ``json``; nil when the text is not such settings.
    public init?(json: String) {
        guard let value = try? JSONDecoder().decode(DeriveSettings.self, from: Data(json.utf8)) else { return nil }
        self = value
    }
}
