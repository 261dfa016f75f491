import Foundation
import LedgerDerive
import LedgerDiscover
import LedgerModel
import LedgerReports

/// The report stage (SPEC §3.6): the window, the provenance, then `ReportWriter`.
public struct Reporting: Sendable {
    /// `Queries/` and `Reports/templates/`.
    public var queriesDirectory: String
    public var templatesDirectory: String

    public init(queriesDirectory: String, templatesDirectory: String) {
        self.queriesDirectory = queriesDirectory
        self.templatesDirectory = templatesDirectory
    }

    /// A report window from `--from` / `--to` dates (`YYYY-MM-DD`, both days included).
    public struct Window: Sendable, Equatable {
        public var from: String
        public var to: String
        public var label: String

        public static let all = Window(from: "0000", to: "9999", label: "all data")

        /// The end of the window as a stored instant (`….000Z`), when `--to` set one.
        public var cap: String? {
            guard to != "9999", let seconds = UTCTime.seconds(to) else { return nil }
            return UTCTime.iso8601(millis: seconds * 1000)
        }

        public init(from: String, to: String, label: String) {
            self.from = from
            self.to = to
            self.label = label
        }

        public static func days(from: String?, to: String?) throws(LedgerError) -> Window {
            guard from != nil || to != nil else { return .all }
            func day(_ s: String) throws(LedgerError) -> (Int, Int, Int) {
                let parts = s.split(separator: "-").map { Int($0) }
                guard s.count == 10, parts.count == 3, let y = parts[0], let m = parts[1], let d = parts[2],
                    UTCTime.isCalendarDate(year: y, month: m, day: d)
                else {
                    throw .config(path: "--from/--to", line: nil, message: "'\(s)' is not a date such as 2025-11-17")
                }
                return (y, m, d)
            }
            var start = "0000"
            var end = "9999"
            if let from {
                let (y, m, d) = try day(from)
                start = UTCTime.iso8601Seconds(
                    millis: UTCTime.epochSeconds(year: y, month: m, day: d, hour: 0, minute: 0, second: 0) * 1000)
            }
            if let to {
                let (y, m, d) = try day(to)
                end = UTCTime.iso8601Seconds(
                    millis: (UTCTime.epochSeconds(year: y, month: m, day: d, hour: 0, minute: 0, second: 0) + 86_400)
                        * 1000)
            }
            return Window(from: start, to: end, label: "\(from ?? "the start") to \(to ?? "the end")")
        }
    }

    /// Writes every report (or `only` those) of the ledger at `database` into `directory`.
    public func write(
        database: String, configuration: Configuration, to directory: String, window: Window, only: [String],
        toolVersion: String
    ) throws(LedgerError) -> [String] {
        let writer = try ReportWriter(queriesDirectory: queriesDirectory, templatesDirectory: templatesDirectory)
        for name in only where !writer.names.contains(name) {
            throw .config(
                path: "--only", line: nil,
                message: "no report '\(name)'; reports: \(writer.names.joined(separator: ", "))")
        }
        var ledger = try ReadOnlyLedger(path: database)
        let manifest = try QueryRunner.run(sql: "SELECT path, sha256 FROM input_file ORDER BY path", on: ledger)
        let lines = manifest.rows.map { row in
            row.map { if case .text(let t) = $0 { t } else { "-" } }.joined(separator: "\t")
        }
        // What the ingest derived with (a ledger from before it was recorded: this config's).
        let stored = Self.storedSettings(ledger)
        // A window that ends before the data does: the sessions as they stood at its end (SPEC §4,
        // as_of), derived again into a snapshot of this connection, so that the report gives the
        // same numbers whenever it is run.
        var label = window.label
        if let cap = window.cap, let latest = Self.latestAsOf(ledger), cap < latest {
            let settings: DeriveSettings
            if let recorded = stored[Setting.deriveSettings].flatMap({ DeriveSettings(json: $0) }) {
                settings = recorded
            } else {
                settings = try configuration.deriveSettings()
            }
            ledger = try ledger.prepared { db in try Deriver.snapshot(db, settings: settings, cap: cap) }
            label += " (as of \(window.to))"
        }
        let provenance = Provenance(
            toolVersion: toolVersion, window: label,
            timeZones: stored[Setting.timeZones].map { $0.components(separatedBy: "; ") }
                ?? configuration.provenanceTimeZones,
            rateCard: stored[Setting.rateCard].map { $0.components(separatedBy: "; ") }
                ?? configuration.provenanceRateCard,
            configDigest: stored[Setting.configDigest] ?? configuration.digest,
            manifestDigest: Fingerprint.sha256Hex(Array(lines.joined(separator: "\n").utf8)))
        return try writer.write(
            ledger: ledger, to: directory, from: window.from, to: window.to, only: Set(only), provenance: provenance)
    }

    /// The keys of `ingest_setting`: what the last derive was made with.
    public enum Setting {
        public static let deriveSettings = "derive_settings"
        public static let timeZones = "time_zones"
        public static let rateCard = "rate_card"
        public static let configDigest = "config_digest"
    }

    /// The settings the last derive recorded; none in a ledger made before they were.
    static func storedSettings(_ ledger: ReadOnlyLedger) -> [String: String] {
        guard let table = try? QueryRunner.run(sql: "SELECT key, value FROM ingest_setting", on: ledger) else {
            return [:]
        }
        var out: [String: String] = [:]
        for row in table.rows {
            if case .text(let key) = row[0], case .text(let value) = row[1] { out[key] = value }
        }
        return out
    }

    /// The latest `as_of` of any cluster (stored instant text).
    static func latestAsOf(_ ledger: ReadOnlyLedger) -> String? {
        guard let row = (try? QueryRunner.run(sql: "SELECT max(as_of) FROM cluster", on: ledger))?.rows.first,
            case .text(let t) = row[0]
        else { return nil }
        return t
    }
}

extension Configuration {
    /// `input → time zone` for each configured input (all inputs' when none is configured), as
    /// the report's provenance prints them.
    public var provenanceTimeZones: [String] {
        inputs.isEmpty
            ? ["all inputs → \(timeZone)"]
            : inputs.map { "\(URL(fileURLWithPath: $0.path).lastPathComponent) → \($0.timeZone ?? timeZone)" }
    }

    /// The rate card, as the report's provenance prints it.
    public var provenanceRateCard: [String] {
        rates.map {
            "from \($0.effective): $" + String(format: "%.4f", $0.vcpuHourUSD) + " per vCPU-hour, $"
                + String(format: "%.4f", $0.gbHourUSD) + " per GiB-hour"
        }
    }

    /// SHA-256 of the config file's bytes, or of nothing when running on defaults.
    public var digest: String {
        let bytes = sourcePath.flatMap { FileManager.default.contents(atPath: $0) }.map { Array($0) } ?? []
        return Fingerprint.sha256Hex(bytes)
    }
}
