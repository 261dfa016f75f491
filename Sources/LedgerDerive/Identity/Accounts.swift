import GRDB
import LedgerModel

extension IdentityDeriver {
    /// A principal of one account assuming a role of another (a cross-account `AssumeRole`): a
    /// SageMaker Studio user reaching an EMR cluster's account, or any other.
    struct CrossAccountAssumption {
        var eventID: String
        /// The stored instant, and its seconds.
        var eventTime: String
        var from: Int64
        /// When its credentials ran out: `durationSeconds` after (STS's default is 3600).
        var until: Int64
        var callerARN: String?
        var callerAccount: String
        var roleARN: String
        var roleAccount: String
        var sourceIdentity: String?
        var roleSessionName: String?
    }

    /// Each cluster's AWS account, written into `cluster` with what says so: the config
    /// (`config`), else `RunJobFlow`'s recipient account (`RunJobFlow`), else the account of the
    /// log layout its files came from (`layout`: EMR's `aws-logs-<account>-<region>` bucket; the
    /// one most of its files name).
    static func clusterAccounts(_ db: Database, settings: DeriveSettings) throws -> [String: String] {
        var found: [String: (account: String, source: String)] = [:]
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT cluster_id, account_id FROM input_file
                WHERE cluster_id IS NOT NULL AND account_id IS NOT NULL
                GROUP BY 1, 2 ORDER BY 1, count(*), 2 DESC
                """)
        {
            found[row[0]] = (row[1], "layout")
        }
        for row in try Row.fetchAll(
            db, sql: "SELECT cluster_id, account_id FROM emr_cluster WHERE account_id IS NOT NULL ORDER BY 1")
        {
            found[row[0]] = (row[1], "RunJobFlow")
        }
        for (cluster, account) in settings.clusterAccounts { found[cluster] = (account, "config") }
        let update = try db.makeStatement(
            sql: "UPDATE cluster SET account_id = ?, account_source = ? WHERE cluster_id = ?")
        for (cluster, account) in found.sorted(by: { $0.key < $1.key }) {
            try update.execute(arguments: [account.account, account.source, cluster])
        }
        return found.mapValues(\.account)
    }

    /// The trail's cross-account role assumptions, in time order, read once for the users'
    /// accounts and the `cross_account_role` findings.
    ///
    /// Both accounts' copies of one call share `sharedEventID`: counted once, the caller's copy
    /// (it names the caller's ARN; the role owner's only its account). The request's fields are
    /// read by SQLite; a key in another casing by the case-insensitive lookup, which parses the
    /// JSON (Foundation, for each of a trail's thousands of role assumptions).
    static func crossAccountAssumptions(_ db: Database) throws -> [CrossAccountAssumption] {
        var out: [CrossAccountAssumption] = []
        var seen = Set<String>()
        // Only a value of the type read (another would not decode: a trail's bytes must not crash it).
        func field(_ key: String, _ type: String) -> String {
            """
            CASE WHEN json_valid(request_parameters) AND json_type(request_parameters, '$.\(key)') = '\(type)'
                 THEN json_extract(request_parameters, '$.\(key)') END AS \(key)
            """
        }
        for e in try Row.fetchAll(
            db,
            sql: """
                SELECT event_id, shared_event_id, event_time, identity_arn, identity_account_id, source_identity,
                       request_parameters, \(field("roleArn", "text")), \(field("roleSessionName", "text")),
                       \(field("durationSeconds", "integer"))
                FROM ct_event
                WHERE event_source = 'sts.amazonaws.com' AND event_name = 'AssumeRole' AND error_code IS NULL
                ORDER BY event_time, identity_arn IS NULL, event_id
                """)
        {
            var parameters: [String: Any]??
            func parsed() -> [String: Any]? {
                if parameters == nil { parameters = .some(JSONValue.object(e["request_parameters"])) }
                return parameters!
            }
            guard let role = (e["roleArn"] as String?) ?? JSONValue.string(parsed(), "roleArn"),
                let caller: String = e["identity_account_id"], let at = SessionDeriver.seconds(e["event_time"])
            else { continue }
            let parts = role.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 6, !parts[4].isEmpty, String(parts[4]) != caller else { continue }
            guard seen.insert(e["shared_event_id"] ?? e["event_id"]).inserted else { continue }
            let duration = (e["durationSeconds"] as Int64?) ?? JSONValue.integer(parsed(), "durationSeconds") ?? 3600
            out.append(
                CrossAccountAssumption(
                    eventID: e["event_id"], eventTime: e["event_time"], from: at, until: at + duration,
                    callerARN: e["identity_arn"], callerAccount: caller, roleARN: role, roleAccount: String(parts[4]),
                    sourceIdentity: e["source_identity"],
                    roleSessionName: (e["roleSessionName"] as String?) ?? JSONValue.string(parsed(), "roleSessionName"))
            )
        }
        return out
    }

    /// Cross-account role assumptions by who opened them: the source identity and the role
    /// session name, lower-cased.
    static func byOpener(_ all: [CrossAccountAssumption]) -> [String: [CrossAccountAssumption]] {
        var out: [String: [CrossAccountAssumption]] = [:]
        for a in all {
            for name in Set([a.sourceIdentity, a.roleSessionName].compactMap { $0?.lowercased() }) {
                out[name, default: []].append(a)
            }
        }
        return out
    }
}

extension IdentityDeriver.SessionContext {
    /// The account a session's user came from, when not the cluster's: the caller's account of
    /// the latest cross-account role session into the cluster's account, opened by the user (by
    /// user name, e-mail, or the name Livy ran the session as) and live during the session.
    func userAccount(cluster account: String?, names: [String?], from start: Int64, to end: Int64) -> String? {
        guard let account else { return nil }
        var best: IdentityDeriver.CrossAccountAssumption?
        for name in names.compactMap({ $0?.lowercased() }) {
            for s in crossAccountByOpener[name] ?? []
            where s.roleAccount == account && s.from <= end && s.until >= start
                && (best.map { s.from > $0.from } ?? true)
            {
                best = s
            }
        }
        return best?.callerAccount
    }
}
