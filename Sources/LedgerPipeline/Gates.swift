import LedgerModel
import LedgerReports

/// The data-quality gates of the config (SPEC §6, exit 3): each one that fails is a sentence
/// saying what and where to look.
public enum Gates {
    public static func failures(database: String, gates: Configuration.Gates) throws(LedgerError) -> [String] {
        let ledger = try ReadOnlyLedger(path: database)
        func count(_ sql: String) throws(LedgerError) -> Int64 {
            if case .integer(let n) = try QueryRunner.run(sql: sql, on: ledger).rows.first?.first { return n }
            return 0
        }
        var out: [String] = []
        if let max = gates.maxQuarantinedFiles {
            let n = try count(
                "SELECT count(*) FROM input_file WHERE rejected > 0 OR status IN ('truncated', 'corrupt', 'unreadable', 'unrecognised')"
            )
            if n > Int64(max) {
                out.append(
                    "\(n) input file(s) with quarantined lines or damage, more than max_quarantined_files = \(max) (see data_quality.csv)"
                )
            }
        }
        if let max = gates.maxCoverageGaps {
            let n = try count("SELECT count(*) FROM finding WHERE code = 'coverage_gap'")
            if n > Int64(max) {
                out.append("\(n) CloudTrail coverage gap(s), more than max_coverage_gaps = \(max) (see findings.csv)")
            }
        }
        if let min = gates.minIdentityCoverage {
            let total = try count("SELECT count(*) FROM session")
            let covered = try count("SELECT count(*) FROM session WHERE identity_status IN ('asserted', 'propagated')")
            if total > 0, Double(covered) / Double(total) < min {
                let share = Double(covered) / Double(total)
                out.append(
                    "identity coverage \(Int((share * 100).rounded(.down))) % (\(covered) of \(total) sessions), below min_identity_coverage = \(Int(min * 100)) % (see identity_audit.csv)"
                )
            }
        }
        return out
    }
}
