import GRDB
import LedgerModel
import LedgerSQLite

/// SageMaker jobs with their limits, and the findings of SPEC §4, each with its evidence.
///
/// Runs last: it reads the sessions, identities and policy that the other derivers wrote.
enum FindingsDeriver {
    static func rebuild(_ db: Database, settings: DeriveSettings, identity: IdentityDeriver.SessionContext) throws {
        try db.execute(sql: "DELETE FROM finding")
        try db.execute(sql: "DELETE FROM sagemaker_job")
        try db.execute(sql: "DELETE FROM sagemaker_pipeline_execution")
        // The findings found in Swift go to a temporary table as they are found (SQLite sorts
        // them on disk: a year's role assumptions and SageMaker jobs are never all in memory),
        // through SQLite's C API (RawStatement).
        try db.execute(
            sql:
                "CREATE TEMP TABLE IF NOT EXISTS found (severity TEXT, code TEXT, subject TEXT, detail TEXT, evidence TEXT)"
        )
        try db.execute(sql: "DELETE FROM temp.found")
        let found = RawStatement(try db.makeStatement(sql: "INSERT INTO temp.found VALUES (?, ?, ?, ?, ?)"))
        var failure: (any Error)?
        func add(_ severity: String, _ code: String, _ subject: String, _ detail: String, _ evidence: String) {
            guard failure == nil else { return }
            do {
                try found.execute([.text(severity), .text(code), .text(subject), .text(detail), .text(evidence)])
            } catch { failure = error }
        }

        try policyFindings(db, add)
        crossAccountFindings(identity.crossAccount, add)
        try logIntegrityFindings(db, add)
        try coverageFindings(db, add)
        try orphanedAppFindings(db, add)
        try sharedClusterFindings(db, add)
        try SageMakerJobs.rebuild(db, settings: settings, identity: identity, add)

        if let failure { throw failure }
        try storeSorted(db, sessionRules: sessionRules(settings))
        try db.execute(sql: "DELETE FROM temp.found")
    }

    typealias Add = (String, String, String, String, String) -> Void

    /// A stored instant (`…:SS.mmmZ`) as every CSV shows time: whole seconds with `Z`.
    static func wholeSeconds(_ stored: String) -> String {
        SessionDeriver.seconds(stored).map(SessionDeriver.iso) ?? stored
    }

    /// Stores the findings in `finding` sorted by (code, subject, detail, evidence), so that
    /// the table is the same for the same inputs: code by code, those of `temp.found` sorted by
    /// SQLite, and each session rule's written by SQLite straight from `session`.
    ///
    /// One scan of `session` first counts what each rule finds: a rule that finds nothing costs
    /// nothing more. A rule that finds many sessions is written in the order of the primary key,
    /// which is the sorted order (a rule gives a session at most one finding, and its subject is
    /// the session key): no sort, and no copy into the temporary table, of one finding per
    /// session (an unresolved identity where Identity Center is not used). A rule that finds few
    /// scans the table and sorts them, as reading every session through the index is slower
    /// than the scan (benchmarks/NOTES.md, `storeSorted`). The codes of the rules and of the findings found
    /// in Swift are different.
    static func storeSorted(_ db: Database, sessionRules rules: [SessionRule]) throws {
        let counts = try Row.fetchOne(
            db,
            sql: "SELECT count(*)" + rules.map { ", count(*) FILTER (WHERE \($0.condition))" }.joined()
                + " FROM session s")
        let total: Int = counts?[0] ?? 0
        var rulesByCode: [String: (rule: SessionRule, found: Int)] = [:]
        for (i, rule) in rules.enumerated() { rulesByCode[rule.code] = (rule, counts?[i + 1] ?? 0) }
        var codes = Set(try String.fetchAll(db, sql: "SELECT DISTINCT code FROM temp.found"))
        codes.formUnion(rulesByCode.keys)
        // SQLite's BINARY order of text: byte by byte in UTF-8.
        for code in codes.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            if let (rule, found) = rulesByCode[code] {
                guard found > 0 else { continue }
                // `+` keeps SQLite from reading in the index's order, so it scans and sorts.
                let order = found * 8 >= total ? "s.session_key" : "+s.session_key"
                try db.execute(
                    sql: """
                        INSERT INTO finding (severity, code, subject, detail, evidence)
                        SELECT '\(rule.severity)', '\(rule.code)', s.session_key, \(rule.detail), coalesce(f.path || ':' || s.line, '')
                        FROM session s JOIN input_file f ON f.id = s.file_id
                        WHERE \(rule.condition)
                        ORDER BY \(order)
                        """)
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO finding (severity, code, subject, detail, evidence)
                        SELECT severity, code, subject, detail, evidence FROM temp.found WHERE code = ?
                        ORDER BY subject, detail, evidence
                        """,
                    arguments: [code])
            }
        }
    }

    static func policyFindings(_ db: Database, _ add: Add) throws {
        for p in try Row.fetchAll(db, sql: "SELECT * FROM policy_change ORDER BY event_time, event_id") {
            let actor: String = p["actor"] ?? "unknown"
            let old: String = p["old_value"] ?? "(none)"
            let new: String = p["new_value"] ?? "(none)"
            add(
                "info", "policy_change", p["target"] ?? "",
                "\(wholeSeconds(p["event_time"])): \(actor) \(p["event_name"] as String) \(p["setting"] as String) \(old) → \(new)",
                "eventID \(p["event_id"] as String)")
        }
    }

    /// `AssumeRole` into a role of another account than the caller's (``IdentityDeriver/crossAccountAssumptions(_:)``:
    /// both accounts' copies of one call counted once).
    static func crossAccountFindings(_ assumptions: [IdentityDeriver.CrossAccountAssumption], _ add: Add) {
        for a in assumptions {
            let who = a.callerARN ?? "account \(a.callerAccount)"
            let source = a.sourceIdentity.map { " (source identity \($0))" } ?? ""
            add(
                "medium", "cross_account_role", a.roleARN,
                "\(wholeSeconds(a.eventTime)): \(who) from account \(a.callerAccount) assumed a role of account \(a.roleAccount)\(source)",
                "eventID \(a.eventID)")
        }
    }

    /// What the digests say of each CloudTrail log file (`ct_file_digest`), and the findings of it:
    /// a file whose content does not match a digest that lists it, and, per account and region, the
    /// files a digest should list and none does.
    ///
    /// A file delivered after the newest digest of its account and region, within
    /// ``CloudTrailNames/digestGraceSeconds``, is pending, not a finding (`verify` agrees). A trail
    /// with no digest at all in the data cannot be verified: its files are not covered.
    static func logIntegrityFindings(_ db: Database, _ add: Add) throws {
        try db.execute(sql: "DELETE FROM ct_file_digest")
        // Object key → every (hash, digest object) listing it, by digest object.
        var listed: [String: [(hash: String, digest: String)]] = [:]
        for r in try Row.fetchAll(
            db,
            sql: "SELECT s3_object, hash_value, digest_s3_object FROM ct_digest_file ORDER BY digest_s3_object, line")
        {
            listed[CloudTrailNames.objectKey(r["s3_object"]), default: []].append(
                (r["hash_value"], r["digest_s3_object"]))
        }
        var newestEnd: [String: Int64] = [:]  // account/region → end of its newest digest
        for r in try Row.fetchAll(
            db, sql: "SELECT account_id, region, max(digest_end) AS newest FROM ct_digest GROUP BY 1, 2")
        {
            guard let end = (r["newest"] as String?).flatMap(SessionDeriver.seconds) else { continue }
            newestEnd["\(r["account_id"] as String? ?? "?")/\(r["region"] as String? ?? "?")"] = end
        }
        let insert = try db.makeStatement(
            sql: "INSERT INTO ct_file_digest (file_id, digest_status, detail) VALUES (?, ?, ?)")
        var uncovered: [String: [String]] = [:]
        for f in try Row.fetchAll(
            db,
            sql: """
                SELECT id, path, account_id, region, content_sha256, last_event FROM input_file
                WHERE format = 'cloudtrail' AND status NOT IN ('duplicate', 'unreadable') ORDER BY path
                """)
        {
            let path: String = f["path"]
            let scope = "\(f["account_id"] as String? ?? "?")/\(f["region"] as String? ?? "?")"
            // When it was delivered: its name says; else its last event is the earliest it can have been.
            let delivered = (CloudTrailNames.deliveryTime(path) ?? (f["last_event"] as String?)).flatMap(
                SessionDeriver.seconds)
            let status: String
            let detail: String
            if let listings = listed[CloudTrailNames.objectKey(path)] {
                let have: String? = f["content_sha256"]
                if let wrong = listings.first(where: { $0.hash != have }) {
                    (status, detail) = (
                        "mismatch",
                        have.map { "its content hashes to \($0), \(wrong.digest) recorded \(wrong.hash)" }
                            ?? "its content could not be read to the end; \(wrong.digest) recorded \(wrong.hash)"
                    )
                    add(
                        "high", "unverified_logs", path,
                        have.map { "its content hashes to \($0), its digest recorded \(wrong.hash)" }
                            ?? "its content could not be read to the end; its digest recorded \(wrong.hash)", path)
                } else {
                    (status, detail) = ("verified", "listed in \(listings[0].digest)")
                }
            } else if let end = newestEnd[scope], let delivered, delivered >= end,
                delivered < end + CloudTrailNames.digestGraceSeconds
            {
                (status, detail) = (
                    "pending",
                    "delivered \(SessionDeriver.iso(delivered)), after the newest digest's end (\(SessionDeriver.iso(end)))"
                )
            } else {
                let why =
                    if let end = newestEnd[scope] {
                        delivered.map {
                            $0 < end
                                ? "delivered \(SessionDeriver.iso($0)), before the newest digest's end (\(SessionDeriver.iso(end))), listed in none"
                                : "delivered \(SessionDeriver.iso($0)), more than \(CloudTrailNames.digestGraceSeconds / 3600) h after the newest digest's end (\(SessionDeriver.iso(end)))"
                        } ?? "no delivery time in its name and no event"
                    } else {
                        "no digest of \(scope) in the data"
                    }
                (status, detail) = ("not_covered", why)
                uncovered[scope, default: []].append(path)
            }
            try insert.execute(arguments: [f["id"] as Int64, status, detail])
        }
        for (scope, paths) in uncovered.sorted(by: { $0.key < $1.key }) {
            add(
                "medium", "unverified_logs", scope,
                "\(paths.count) CloudTrail file(s) that a digest should list are listed in none"
                    + (newestEnd[scope] == nil ? " (no digest of this account and region in the data)" : ""),
                paths.prefix(5).joined(separator: "; ") + (paths.count > 5 ? "; …" : ""))
        }
    }

    /// Hours without a CloudTrail file for an account and region that had files before and after.
    static func coverageFindings(_ db: Database, _ add: Add) throws {
        var hours: [String: [(Int64, String)]] = [:]
        for f in try Row.fetchAll(
            db,
            sql: """
                SELECT path, account_id, region, first_event FROM input_file
                WHERE format = 'cloudtrail' AND status != 'duplicate' ORDER BY path
                """)
        {
            let path: String = f["path"]
            guard let account: String = f["account_id"], let region: String = f["region"] else { continue }
            let stamp = CloudTrailNames.deliveryTime(path) ?? (f["first_event"] as String?)
            guard let stamp, let t = SessionDeriver.seconds(stamp) else { continue }
            hours["\(account)/\(region)", default: []].append((t / 3600, path))
        }
        for (scope, list) in hours.sorted(by: { $0.key < $1.key }) {
            let sorted = list.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.0 - a.0 > 1 {
                let from = SessionDeriver.iso((a.0 + 1) * 3600)
                let to = SessionDeriver.iso(b.0 * 3600)
                add(
                    "low", "coverage_gap", scope, "no CloudTrail file from \(from) to \(to) (\(b.0 - a.0 - 1) h)",
                    "\(a.1); \(b.1)")
            }
        }
    }
}
