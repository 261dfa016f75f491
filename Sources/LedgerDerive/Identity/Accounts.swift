import GRDB
import LedgerModel

extension IdentityDeriver {
    /// A role session a principal of one account opened in a role of another (a cross-account
    /// `AssumeRole`): a SageMaker Studio user reaching an EMR cluster's account.
    struct CrossAccountSession {
        var from: Int64
        /// When its credentials ran out: `durationSeconds` after (STS's default is 3600).
        var until: Int64
        var callerAccount: String
        var roleAccount: String
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

    /// The cross-account role sessions in the trail, by who opened them: the source identity and
    /// the role session name, lower-cased (both accounts' copies of one call count once).
    static func crossAccountSessions(_ db: Database) throws -> [String: [CrossAccountSession]] {
        var out: [String: [CrossAccountSession]] = [:]
        var seen = Set<String>()
        for e in try Row.fetchAll(
            db,
            sql: """
                SELECT event_id, shared_event_id, event_time, identity_account_id, source_identity, request_parameters
                FROM ct_event
                WHERE event_source = 'sts.amazonaws.com' AND event_name = 'AssumeRole' AND error_code IS NULL
                ORDER BY event_time, event_id
                """)
        {
            let parameters = JSONValue.object(e["request_parameters"])
            guard let role = JSONValue.string(parameters, "roleArn"), let caller: String = e["identity_account_id"],
                let at = SessionDeriver.seconds(e["event_time"])
            else { continue }
            let parts = role.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count >= 6, !parts[4].isEmpty, String(parts[4]) != caller else { continue }
            guard seen.insert(e["shared_event_id"] ?? e["event_id"]).inserted else { continue }
            let duration = JSONValue.integer(parameters, "durationSeconds") ?? 3600
            let session = CrossAccountSession(
                from: at, until: at + duration, callerAccount: caller, roleAccount: String(parts[4]))
            let names = [e["source_identity"] as String?, JSONValue.string(parameters, "roleSessionName")]
            for name in Set(names.compactMap { $0?.lowercased() }) { out[name, default: []].append(session) }
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
        var best: IdentityDeriver.CrossAccountSession?
        for name in names.compactMap({ $0?.lowercased() }) {
            for s in crossAccount[name] ?? []
            where s.roleAccount == account && s.from <= end && s.until >= start
                && (best.map { s.from > $0.from } ?? true)
            {
                best = s
            }
        }
        return best?.callerAccount
    }
}
