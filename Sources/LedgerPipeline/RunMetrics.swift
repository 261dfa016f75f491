import Foundation
import LedgerModel
import LedgerReports

/// What `run --metrics` writes: the last run as Prometheus metrics, in the text exposition
/// format that node_exporter's textfile collector reads.
///
/// Written by hand: the format is a few lines of text, and swift-prometheus is a registry for a
/// long-lived server that scrapes itself, not a writer of one file at the end of a batch job.
/// The file is written under a temporary name beside it and renamed (the collector reads only
/// `*.prom` files, never a half-written one).
public struct RunMetrics: Sendable {
    /// When the run started and ended.
    public var started: Date
    public var ended: Date
    /// The process's exit code (0 success, 3 a gate failed, …).
    public var exitCode: Int32
    /// When a run last succeeded (exit 0): this one, else what the previous file said.
    public var lastSuccess: Date?
    /// This run's files by what was done with them; nil when the run did not get that far.
    public var filesByAction: [String: Int]?
    /// What the ledger holds after the run; nil when it could not be read.
    public var ledger: LedgerFigures?
    /// Every configured gate.
    public var gates: [Gates.Result] = []

    public init(started: Date, ended: Date, exitCode: Int32) {
        self.started = started
        self.ended = ended
        self.exitCode = exitCode
    }

    /// What the ledger holds: the figures an alert or a dashboard follows from night to night.
    public struct LedgerFigures: Sendable, Equatable {
        public var filesByStatus: [String: Int] = [:]
        public var recordsRead = 0
        public var recordsKept = 0
        public var sessions = 0
        public var costUSD = 0.0
        public var idleCostUSD = 0.0
        public var backgroundCostUSD = 0.0
        public var findingsBySeverity: [String: Int] = [:]

        /// Reads them from the ledger at `database`.
        public static func read(database: String) throws(LedgerError) -> LedgerFigures {
            let ledger = try ReadOnlyLedger(path: database)
            func rows(_ sql: String) throws(LedgerError) -> [[SQLValue]] {
                try QueryRunner.run(sql: sql, on: ledger).rows
            }
            func int(_ v: SQLValue?) -> Int {
                if case .integer(let n) = v { return Int(n) }
                return 0
            }
            func double(_ v: SQLValue?) -> Double {
                switch v {
                case .integer(let n): return Double(n)
                case .real(let d): return d
                default: return 0
                }
            }
            var f = LedgerFigures()
            for status in FileStatus.allCases { f.filesByStatus[status.rawValue] = 0 }
            for r in try rows("SELECT status, count(*) FROM input_file GROUP BY status") {
                if case .text(let status) = r[0] { f.filesByStatus[status] = int(r[1]) }
            }
            let totals = try rows("SELECT coalesce(sum(lines), 0), coalesce(sum(records), 0) FROM input_file").first
            f.recordsRead = int(totals?[0])
            f.recordsKept = int(totals?[1])
            let cost = try rows(
                "SELECT count(*), total(cost_usd), total(idle_cost_usd), total(background_cost_usd) FROM session"
            ).first
            f.sessions = int(cost?[0])
            f.costUSD = double(cost?[1])
            f.idleCostUSD = double(cost?[2])
            f.backgroundCostUSD = double(cost?[3])
            for severity in ["high", "medium", "low", "info"] { f.findingsBySeverity[severity] = 0 }
            for r in try rows("SELECT severity, count(*) FROM finding GROUP BY severity") {
                if case .text(let severity) = r[0] { f.findingsBySeverity[severity] = int(r[1]) }
            }
            return f
        }
    }

    /// The exposition text: each metric with its HELP and TYPE, labels sorted.
    public var text: String {
        var out = ""
        func metric(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP session_ledger_\(name) \(help)\n# TYPE session_ledger_\(name) gauge\n"
            for s in samples { out += "session_ledger_\(name)\(s.labels) \(s.value)\n" }
        }
        func labelled(_ key: String, _ values: [String: Int]) -> [(labels: String, value: String)] {
            values.keys.sorted().map { ("{\(key)=\"\(Self.escape($0))\"}", "\(values[$0]!)") }
        }
        metric("last_run_end_timestamp_seconds", "When the last run ended, in Unix time.", [("", Self.seconds(ended))])
        metric(
            "last_run_duration_seconds", "How long the last run took.",
            [("", Self.number(ended.timeIntervalSince(started)))])
        metric(
            "last_run_exit_code",
            "The last run's exit code: 0 success, 1 failed, 2 config error, 3 a data-quality gate failed, 4 another run held the lock.",
            [("", "\(exitCode)")])
        metric(
            "last_success_timestamp_seconds", "When a run last exited 0, in Unix time.",
            lastSuccess.map { [("", Self.seconds($0))] } ?? [])
        metric(
            "last_run_files", "Input files of the last run, by what it did with them.",
            filesByAction.map { labelled("action", $0) } ?? [])
        if let ledger {
            metric("files", "Input files in the ledger, by status.", labelled("status", ledger.filesByStatus))
            metric(
                "records_read", "Records (lines, events) read from the ledger's input files, kept or not.",
                [("", "\(ledger.recordsRead)")])
            metric("records_kept", "Records kept in the ledger.", [("", "\(ledger.recordsKept)")])
            metric("sessions", "Livy sessions in the ledger.", [("", "\(ledger.sessions)")])
            metric(
                "cost_usd",
                "Cost of the ledger's sessions in US dollars: all of it, the idle tails, the background time.",
                [
                    ("{part=\"background\"}", Self.number(ledger.backgroundCostUSD)),
                    ("{part=\"idle\"}", Self.number(ledger.idleCostUSD)),
                    ("{part=\"total\"}", Self.number(ledger.costUSD)),
                ])
            metric("findings", "Findings in the ledger, by severity.", labelled("severity", ledger.findingsBySeverity))
        }
        let gates = gates.sorted { $0.name < $1.name }
        metric(
            "gate_value", "What the ledger holds for each configured data-quality gate.",
            gates.map { ("{gate=\"\($0.name)\"}", Self.number($0.value)) })
        metric(
            "gate_threshold", "Each configured data-quality gate's threshold.",
            gates.map { ("{gate=\"\($0.name)\"}", Self.number($0.threshold)) })
        metric(
            "gate_failed", "1 if the data-quality gate failed in the last run, else 0.",
            gates.map { ("{gate=\"\($0.name)\"}", $0.failure == nil ? "0" : "1") })
        return out
    }

    /// Writes ``text`` to `path` atomically: a temporary file beside it, then a rename.
    public func write(to path: String) throws(LedgerError) {
        let url = URL(fileURLWithPath: path)
        // A name of this process's own: a run refused for the lock may write the same file.
        let temporary = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(text.utf8).write(to: temporary)
        } catch {
            throw .input(path: path, message: "cannot write the metrics file: \(error.localizedDescription)")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .input(path: path, message: "cannot move the metrics file into place: \(reason)")
        }
    }

    /// The `last_success_timestamp_seconds` of the file at `path`, if it has one: what a failed
    /// run carries forward.
    public static func lastSuccess(in path: String) -> Date? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let prefix = "session_ledger_last_success_timestamp_seconds "
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            if let seconds = Double(line.dropFirst(prefix.count)), seconds.isFinite {
                return Date(timeIntervalSince1970: seconds)
            }
        }
        return nil
    }

    /// Unix time with milliseconds.
    static func seconds(_ date: Date) -> String { String(format: "%.3f", date.timeIntervalSince1970) }

    /// A value as Go's ParseFloat reads it: whole numbers without a fraction.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        // Swift's shortest form (`0.875`, `1e-07`) is what Go's ParseFloat reads.
        return "\(value)"
    }

    /// A label value: backslash, double quote and line feed escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
