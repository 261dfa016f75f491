import LedgerModel
import LedgerReports

/// The data-quality gates of the config (SPEC §6, exit 3): each one that fails is a sentence
/// saying what and where to look.
public enum Gates {
    /// One configured gate: what the ledger holds, the config's threshold, and whether it held.
    public struct Result: Sendable, Equatable {
        /// The config's key (`max_quarantined_files`, …).
        public var name: String
        public var value: Double
        public var threshold: Double
        /// Why it failed, with where to look; nil when it held.
        public var failure: String?
    }

    public static func failures(database: String, gates: Configuration.Gates) throws(LedgerError) -> [String] {
        try evaluate(database: database, gates: gates).compactMap(\.failure)
    }

    /// Every configured gate, in the config's documented order.
    public static func evaluate(database: String, gates: Configuration.Gates) throws(LedgerError) -> [Result] {
        let ledger = try ReadOnlyLedger(path: database)
        func count(_ sql: String) throws(LedgerError) -> Int64 {
            if case .integer(let n) = try QueryRunner.run(sql: sql, on: ledger).rows.first?.first { return n }
            return 0
        }
        var out: [Result] = []
        if let max = gates.maxQuarantinedFiles {
            let n = try count(
                "SELECT count(*) FROM input_file WHERE rejected > 0 OR status IN ('truncated', 'corrupt', 'unreadable', 'unrecognised')"
            )
            out.append(
                Result(
                    name: "max_quarantined_files", value: Double(n), threshold: Double(max),
                    failure: n > Int64(max)
                        ? "\(n) input file(s) with quarantined lines or damage, more than max_quarantined_files = \(max) (see data_quality.csv)"
                        : nil))
        }
        if let max = gates.maxCoverageGaps {
            let n = try count("SELECT count(*) FROM finding WHERE code = 'coverage_gap'")
            out.append(
                Result(
                    name: "max_coverage_gaps", value: Double(n), threshold: Double(max),
                    failure: n > Int64(max)
                        ? "\(n) CloudTrail coverage gap(s), more than max_coverage_gaps = \(max) (see findings.csv)"
                        : nil))
        }
        if let min = gates.minIdentityCoverage {
            let total = try count("SELECT count(*) FROM session")
            let covered = try count("SELECT count(*) FROM session WHERE identity_status IN ('asserted', 'propagated')")
            // No sessions: nothing is uncovered (the gate holds), and the share is whole.
            let share = total > 0 ? Double(covered) / Double(total) : 1
            out.append(
                Result(
                    name: "min_identity_coverage", value: share, threshold: min,
                    failure: total > 0 && share < min
                        ? "identity coverage \(Int((share * 100).rounded(.down))) % (\(covered) of \(total) sessions), below min_identity_coverage = \(Int(min * 100)) % (see identity_audit.csv)"
                        : nil))
        }
        return out
    }
}
