import Foundation
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
            var start = "0000", end = "9999"
            if let from {
                let (y, m, d) = try day(from)
                start = UTCTime.iso8601Seconds(millis: UTCTime.epochSeconds(year: y, month: m, day: d, hour: 0, minute: 0, second: 0) * 1000)
            }
            if let to {
                let (y, m, d) = try day(to)
                end = UTCTime.iso8601Seconds(millis: (UTCTime.epochSeconds(year: y, month: m, day: d, hour: 0, minute: 0, second: 0) + 86_400) * 1000)
            }
            return Window(from: start, to: end, label: "\(from ?? "the start") to \(to ?? "the end")")
        }
    }

    /// Writes every report (or `only` those) of the ledger at `database` into `directory`.
    public func write(
        database: String, configuration: Configuration, to directory: String, window: Window, only: [String], toolVersion: String
    ) throws(LedgerError) -> [String] {
        let writer = try ReportWriter(queriesDirectory: queriesDirectory, templatesDirectory: templatesDirectory)
        for name in only where !writer.names.contains(name) {
            throw .config(path: "--only", line: nil, message: "no report '\(name)'; reports: \(writer.names.joined(separator: ", "))")
        }
        let ledger = try ReadOnlyLedger(path: database)
        let manifest = try QueryRunner.run(sql: "SELECT path, sha256 FROM input_file ORDER BY path", on: ledger)
        let lines = manifest.rows.map { row in row.map { if case .text(let t) = $0 { t } else { "-" } }.joined(separator: "\t") }
        let provenance = Provenance(
            toolVersion: toolVersion, window: window.label,
            timeZones: configuration.inputs.isEmpty
                ? ["all inputs → \(configuration.timeZone)"]
                : configuration.inputs.map { "\(URL(fileURLWithPath: $0.path).lastPathComponent) → \($0.timeZone ?? configuration.timeZone)" },
            rateCard: configuration.rates.map {
                "from \($0.effective): $" + String(format: "%.4f", $0.vcpuHourUSD) + " per vCPU-hour, $" + String(format: "%.4f", $0.gbHourUSD) + " per GiB-hour"
            },
            configDigest: configuration.digest,
            manifestDigest: Fingerprint.sha256Hex(Array(lines.joined(separator: "\n").utf8)))
        return try writer.write(ledger: ledger, to: directory, from: window.from, to: window.to, only: Set(only), provenance: provenance)
    }
}

extension Configuration {
    /// SHA-256 of the config file's bytes, or of nothing when running on defaults.
    public var digest: String {
        let bytes = sourcePath.flatMap { FileManager.default.contents(atPath: $0) }.map { Array($0) } ?? []
        return Fingerprint.sha256Hex(bytes)
    }
}
