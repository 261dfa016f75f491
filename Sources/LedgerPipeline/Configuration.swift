import Foundation
import LedgerDerive
import LedgerModel
import TOMLKit

/// Everything a run is told: inputs, database, time zones, rates, thresholds and gates.
///
/// Read from a TOML file (`--config`); every setting has a documented default, so a run
/// without a config file works. Unknown keys are errors (a typo must not silently fall back
/// to a default). Relative paths in the file are relative to the file's directory.
public struct Configuration: Sendable, Equatable {
    /// One input path and what to assume about the files below it.
    public struct Input: Sendable, Equatable {
        public var path: String
        /// Forces a format instead of recognising it (`--format`).
        public var format: String?
        /// Cluster id for files whose path does not carry one (Glue endpoints, plain copies).
        public var cluster: String?
        /// Time zone of the wall-clock timestamps in these files; default: the top-level one.
        public var timeZone: String?

        public init(path: String, format: String? = nil, cluster: String? = nil, timeZone: String? = nil) {
            self.path = path
            self.format = format
            self.cluster = cluster
            self.timeZone = timeZone
        }
    }

    /// A price that applies from `effective` until the next entry's date.
    public struct Rate: Sendable, Equatable {
        /// `YYYY-MM-DD` (UTC).
        public var effective: String
        public var vcpuHourUSD: Double
        public var gbHourUSD: Double
    }

    /// Data-quality gates: a run that breaks one exits 3 (SPEC §6).
    ///
    /// Nil = not checked.
    public struct Gates: Sendable, Equatable {
        public var maxQuarantinedFiles: Int?
        public var maxCoverageGaps: Int?
        public var minIdentityCoverage: Double?
    }

    /// The SQLite file.
    public var database = "ledger.sqlite"
    /// Default time zone of inputs.
    public var timeZone = "UTC"
    public var inputs: [Input] = []
    /// `abandoned` when the idle tail reaches this (SPEC §4), seconds.
    public var abandonAfterSeconds = 3600
    /// How long a sign-in counts as interactive without a logout (SPEC §4), seconds.
    public var interactiveSessionDurationSeconds = 8 * 3600
    /// The Identity Center user background session duration in force (default 7 days; the
    /// instance setting is not visible in CloudTrail), seconds.
    public var backgroundSessionDurationSeconds = 7 * 86_400
    /// `livy.server.session.timeout` of the Livy servers, seconds; nil: as their idle-timeout
    /// lines print it.
    public var livySessionTimeoutSeconds: Int?
    /// The rate card, sorted by date.
    public var rates: [Rate] = Configuration.defaultRates
    public var gates = Gates()
    /// `identities.csv` (userId, userName, email, costCenter), if any.
    public var identitiesFile: String?
    /// IAM roles of each cluster, besides those its `RunJobFlow` names (`[[clusters]]`).
    public var clusterRoles: [String: [String]] = [:]
    /// Each cluster's spark-defaults for executors (`[[clusters]]` `dynamic_allocation`,
    /// `max_executors`): the caps of sessions that set none themselves.
    public var clusterSpark: [String: DeriveSettings.ClusterSpark] = [:]
    /// Each cluster's AWS account (`[[clusters]] account`), over what the logs say.
    public var clusterAccounts: [String: String] = [:]
    /// Where `run` writes the reports (`[report] out`).
    public var reportDirectory = "reports"
    /// Report queries and templates of the company's own (`[report] queries`, `templates`);
    /// nil: the ones that come with the tool.
    public var reportQueries: String?
    public var reportTemplates: String?
    /// The config file this was read from, if any.
    public var sourcePath: String?

    /// Rates used when the config gives none: one m5.xlarge (4 vCPU, 16 GiB) at the us-east-1
    /// on-demand EC2 + EMR list price of $0.24/h, split $0.048 per vCPU-hour and $0.003 per
    /// GiB-hour (4 × 0.048 + 16 × 0.003 = 0.24).
    ///
    /// A placeholder to be replaced by your own prices; every cost report prints the card it used.
    public static let defaultRates = [Rate(effective: "1970-01-01", vcpuHourUSD: 0.048, gbHourUSD: 0.003)]

    public init() {}

    /// Reads and checks a TOML config file.
    public static func load(path: String) throws(LedgerError) -> Configuration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .config(path: path, line: nil, message: "cannot read the config file: \(error.localizedDescription)")
        }
        return try parse(text, path: path)
    }

    /// Parses config text; `path` names the file in errors and anchors relative paths.
    public static func parse(_ text: String, path: String) throws(LedgerError) -> Configuration {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .config(path: path, line: error.source.begin.line, message: "not valid TOML: \(error.description)")
        } catch {
            throw .config(path: path, line: nil, message: "not valid TOML: \(error)")
        }
        let reader = ConfigReader(text: text, path: path)
        var config = Configuration()
        config.sourcePath = path
        let base = (path as NSString).deletingLastPathComponent

        try reader.allow(
            table, section: nil,
            keys: [
                "database", "timezone", "inputs", "thresholds", "rates", "gates", "identities", "clusters", "report",
            ])
        if let v = try reader.string(table, "database", section: nil) { config.database = resolve(v, base: base) }
        if let v = try reader.string(table, "timezone", section: nil) {
            try reader.checkTimeZone(v, key: "timezone", section: nil)
            config.timeZone = v
        }
        for (index, input) in try reader.tables(table, "inputs").enumerated() {
            let section = "[[inputs]]"
            try reader.allow(input, section: section, index: index, keys: ["path", "format", "cluster", "timezone"])
            guard let p = try reader.string(input, "path", section: section, index: index) else {
                throw reader.error("inputs[\(index)] has no path", section: section, index: index, key: nil)
            }
            var entry = Input(path: resolve(p, base: base))
            entry.format = try reader.string(input, "format", section: section, index: index)
            entry.cluster = try reader.string(input, "cluster", section: section, index: index)
            if let tz = try reader.string(input, "timezone", section: section, index: index) {
                try reader.checkTimeZone(tz, key: "timezone", section: section, index: index)
                entry.timeZone = tz
            }
            config.inputs.append(entry)
        }
        if let t = try reader.table(table, "thresholds") {
            let section = "[thresholds]"
            try reader.allow(
                t, section: section,
                keys: [
                    "abandon_after", "interactive_session_duration", "background_session_duration",
                    "livy_session_timeout",
                ])
            if let v = try reader.seconds(t, "abandon_after", section: section) { config.abandonAfterSeconds = v }
            if let v = try reader.seconds(t, "interactive_session_duration", section: section) {
                config.interactiveSessionDurationSeconds = v
            }
            if let v = try reader.seconds(t, "background_session_duration", section: section) {
                config.backgroundSessionDurationSeconds = v
            }
            if let v = try reader.seconds(t, "livy_session_timeout", section: section) {
                config.livySessionTimeoutSeconds = v
            }
        }
        let rates = try reader.tables(table, "rates")
        if !rates.isEmpty {
            config.rates = []
            for (index, r) in rates.enumerated() {
                let section = "[[rates]]"
                try reader.allow(
                    r, section: section, index: index, keys: ["effective", "vcpu_hour_usd", "gb_hour_usd"])
                guard let effective = try reader.date(r, "effective", section: section, index: index),
                    let vcpu = try reader.number(r, "vcpu_hour_usd", section: section, index: index),
                    let gb = try reader.number(r, "gb_hour_usd", section: section, index: index)
                else {
                    throw reader.error(
                        "rates[\(index)] needs effective, vcpu_hour_usd and gb_hour_usd", section: section,
                        index: index, key: nil)
                }
                config.rates.append(Rate(effective: effective, vcpuHourUSD: vcpu, gbHourUSD: gb))
            }
            config.rates.sort { $0.effective < $1.effective }
        }
        if let g = try reader.table(table, "gates") {
            let section = "[gates]"
            try reader.allow(
                g, section: section, keys: ["max_quarantined_files", "max_coverage_gaps", "min_identity_coverage"])
            config.gates.maxQuarantinedFiles = try reader.int(g, "max_quarantined_files", section: section)
            config.gates.maxCoverageGaps = try reader.int(g, "max_coverage_gaps", section: section)
            config.gates.minIdentityCoverage = try reader.number(g, "min_identity_coverage", section: section)
        }
        for (index, cluster) in try reader.tables(table, "clusters").enumerated() {
            let section = "[[clusters]]"
            try reader.allow(
                cluster, section: section, index: index,
                keys: ["id", "roles", "dynamic_allocation", "max_executors", "account"])
            guard let id = try reader.string(cluster, "id", section: section, index: index) else {
                throw reader.error("clusters[\(index)] has no id", section: section, index: index, key: nil)
            }
            var roles: [String] = []
            if let list = cluster["roles"] {
                guard let array = list.array, array.allSatisfy({ $0.string != nil }) else {
                    throw reader.error(
                        "'clusters.roles' must be a list of role ARNs or names", section: section, index: index,
                        key: "roles")
                }
                roles = array.compactMap { $0.string }
            }
            config.clusterRoles[id, default: []].append(contentsOf: roles)
            if let account = try reader.string(cluster, "account", section: section, index: index) {
                guard account.utf8.count == 12, account.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw reader.error(
                        "'clusters.account' must be a 12-digit AWS account id", section: section, index: index,
                        key: "account")
                }
                config.clusterAccounts[id] = account
            }
            let dynamic = try reader.bool(cluster, "dynamic_allocation", section: section, index: index)
            let max = try reader.int(cluster, "max_executors", section: section, index: index)
            if max == 0 {
                throw reader.error(
                    "'clusters.max_executors' must be 1 or more (Spark refuses a maximum of 0 executors)",
                    section: section, index: index, key: "max_executors")
            }
            if dynamic != nil || max != nil {
                var spark = config.clusterSpark[id] ?? DeriveSettings.ClusterSpark()
                spark.dynamicAllocation = dynamic ?? spark.dynamicAllocation
                spark.maxExecutors = max ?? spark.maxExecutors
                config.clusterSpark[id] = spark
            }
        }
        if let r = try reader.table(table, "report") {
            let section = "[report]"
            try reader.allow(r, section: section, keys: ["out", "queries", "templates"])
            if let v = try reader.string(r, "out", section: section) { config.reportDirectory = resolve(v, base: base) }
            config.reportQueries = try reader.string(r, "queries", section: section).map { resolve($0, base: base) }
            config.reportTemplates = try reader.string(r, "templates", section: section).map { resolve($0, base: base) }
        }
        if let i = try reader.table(table, "identities") {
            let section = "[identities]"
            try reader.allow(i, section: section, keys: ["file"])
            config.identitiesFile = try reader.string(i, "file", section: section).map { resolve($0, base: base) }
        }
        return config
    }

    static func resolve(_ path: String, base: String) -> String {
        if path.hasPrefix("/") || base.isEmpty { return path }
        return base + "/" + path
    }
}

/// Typed access to a parsed TOML table, with errors that name the file, the line and the key.
struct ConfigReader {
    let lines: [Substring]
    let path: String

    init(text: String, path: String) {
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        self.path = path
    }

    /// The 1-based line of `key` inside `section` (the `index`-th one for arrays of tables),
    /// found by reading the text, since the TOML library keeps no positions for values.
    func line(section: String?, index: Int, key: String?) -> Int? {
        var inSection = section == nil
        var seen = -1
        for (n, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                let header =
                    line.split(separator: "#", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) }
                    ?? line
                if let section, header == section {
                    seen += 1
                    inSection = seen == index
                    if inSection && key == nil { return n + 1 }
                } else {
                    inSection = false
                }
                continue
            }
            if inSection, let key {
                let name = line.split(separator: "=", maxSplits: 1).first.map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                if name == key || name == "\"\(key)\"" { return n + 1 }
            }
        }
        return nil
    }

    func error(_ message: String, section: String?, index: Int = 0, key: String?) -> LedgerError {
        .config(path: path, line: line(section: section, index: index, key: key), message: message)
    }

    private func name(_ section: String?, _ key: String) -> String {
        guard let section else { return key }
        let trimmed = section.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return "\(trimmed).\(key)"
    }

    func allow(_ table: TOMLTable, section: String?, index: Int = 0, keys: Set<String>) throws(LedgerError) {
        for key in table.keys.sorted() where !keys.contains(key) {
            throw error(
                "unknown setting '\(name(section, key))'; known here: \(keys.sorted().joined(separator: ", "))",
                section: section, index: index, key: key)
        }
    }

    func string(_ t: TOMLTable, _ key: String, section: String?, index: Int = 0) throws(LedgerError) -> String? {
        guard let v = t[key] else { return nil }
        guard let s = v.string else {
            throw error("'\(name(section, key))' must be a string", section: section, index: index, key: key)
        }
        return s
    }

    func int(_ t: TOMLTable, _ key: String, section: String?, index: Int = 0) throws(LedgerError) -> Int? {
        guard let v = t[key] else { return nil }
        guard let i = v.int, i >= 0 else {
            throw error("'\(name(section, key))' must be a whole number ≥ 0", section: section, index: index, key: key)
        }
        return i
    }

    func bool(_ t: TOMLTable, _ key: String, section: String?, index: Int = 0) throws(LedgerError) -> Bool? {
        guard let v = t[key] else { return nil }
        guard let b = v.bool else {
            throw error("'\(name(section, key))' must be true or false", section: section, index: index, key: key)
        }
        return b
    }

    func number(_ t: TOMLTable, _ key: String, section: String?, index: Int = 0) throws(LedgerError) -> Double? {
        guard let v = t[key] else { return nil }
        if let d = v.double, d >= 0, d.isFinite { return d }
        if let i = v.int, i >= 0 { return Double(i) }
        throw error("'\(name(section, key))' must be a number ≥ 0", section: section, index: index, key: key)
    }

    /// A duration: whole seconds, or a string such as `90s`, `15m`, `8h`, `7d`.
    func seconds(_ t: TOMLTable, _ key: String, section: String?) throws(LedgerError) -> Int? {
        guard let v = t[key] else { return nil }
        if let i = v.int, i >= 0 { return i }
        if let s = v.string, let unit = s.last, let n = Int(s.dropLast()), n >= 0 {
            switch unit {
            case "s": return n
            case "m": return n * 60
            case "h": return n * 3600
            case "d": return n * 86_400
            default: break
            }
        }
        throw error(
            "'\(name(section, key))' must be seconds or a duration such as \"15m\", \"8h\", \"7d\"", section: section,
            key: key)
    }

    /// A date, as a TOML date (`2025-01-01`) or a string of that form.
    func date(_ t: TOMLTable, _ key: String, section: String?, index: Int) throws(LedgerError) -> String? {
        guard let v = t[key] else { return nil }
        if let d = v.date, UTCTime.isCalendarDate(year: Int(d.year), month: Int(d.month), day: Int(d.day)) {
            return String(format: "%04d-%02d-%02d", d.year, d.month, d.day)
        }
        if let s = v.string, s.count == 10,
            s.utf8.enumerated().allSatisfy({ i, c in (i == 4 || i == 7) ? c == 0x2D : (c >= 0x30 && c <= 0x39) }),
            let y = Int(s.prefix(4)), let m = Int(s.dropFirst(5).prefix(2)), let d = Int(s.suffix(2)),
            UTCTime.isCalendarDate(year: y, month: m, day: d)
        {
            return s
        }
        throw error(
            "'\(name(section, key))' must be a date such as 2025-01-01", section: section, index: index, key: key)
    }

    func table(_ t: TOMLTable, _ key: String) throws(LedgerError) -> TOMLTable? {
        guard let v = t[key] else { return nil }
        guard let table = v.table else { throw error("'\(key)' must be a table: [\(key)]", section: nil, key: key) }
        return table
    }

    func tables(_ t: TOMLTable, _ key: String) throws(LedgerError) -> [TOMLTable] {
        guard let v = t[key] else { return [] }
        guard let array = v.array else {
            throw error("'\(key)' must be an array of tables: [[\(key)]]", section: nil, key: key)
        }
        var out: [TOMLTable] = []
        for item in array {
            guard let table = item.table else {
                throw error("'\(key)' must be an array of tables: [[\(key)]]", section: nil, key: key)
            }
            out.append(table)
        }
        return out
    }

    func checkTimeZone(_ name: String, key: String, section: String?, index: Int = 0) throws(LedgerError) {
        guard TimeZone(identifier: name) != nil else {
            throw error(
                "unknown time zone '\(name)': use an IANA name such as UTC or Europe/Berlin", section: section,
                index: index, key: key)
        }
    }
}

extension Configuration {
    /// What derivation needs: thresholds, rates, users from `identities.csv`, cluster roles.
    public func deriveSettings() throws(LedgerError) -> DeriveSettings {
        DeriveSettings(
            abandonAfterSeconds: abandonAfterSeconds,
            rates: rates.map {
                DeriveSettings.Rate(effective: $0.effective, vcpuHourUSD: $0.vcpuHourUSD, gbHourUSD: $0.gbHourUSD)
            },
            interactiveSessionDurationSeconds: interactiveSessionDurationSeconds,
            backgroundSessionDurationSeconds: backgroundSessionDurationSeconds,
            identities: try identitiesFile.map(IdentitiesFile.load) ?? [],
            clusterRoles: clusterRoles, clusterSpark: clusterSpark, clusterAccounts: clusterAccounts,
            livySessionTimeoutSeconds: livySessionTimeoutSeconds)
    }
}
