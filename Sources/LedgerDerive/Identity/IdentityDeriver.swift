import Foundation
import GRDB
import LedgerModel

/// Fills in what CloudTrail says about sessions (SPEC §4): who the user is, how much of the
/// session ran while the user was signed in (interactive) and how much after (background),
/// what policy allowed, and whether the user's identity was propagated.
///
/// Runs before `SessionDeriver`, in the same transaction: it rebuilds `identity`,
/// `emr_cluster`, `security_configuration` and `policy_change` from `ct_event`, and hands
/// `SessionDeriver` what each session's identity columns are computed from.
enum IdentityDeriver {
    /// Background time up to this is the documented grace of EMR user background sessions.
    static let backgroundGraceSeconds: Int64 = 900

    /// Rebuilds the identity tables and returns what the sessions' identity columns are made
    /// from; `SessionDeriver` fills them as it inserts each session (an update of every session
    /// afterwards wrote each row twice).
    static func rebuild(_ db: Database, settings: DeriveSettings) throws -> SessionContext {
        let directory = try identities(db, settings: settings)
        try clustersAndPolicies(db)
        let windows = try signInWindows(
            db, directory: directory, duration: Int64(settings.interactiveSessionDurationSeconds))
        let assumptions = try crossAccountAssumptions(db)
        return SessionContext(
            directory: directory, windows: windows, policy: try PolicyTimeline(db),
            roles: try clusterRoles(db, settings: settings), accounts: try clusterAccounts(db, settings: settings),
            crossAccount: assumptions, crossAccountByOpener: byOpener(assumptions))
    }

    // MARK: Identities

    /// `identities.csv` first (it has cost centres), then users CloudTrail names: sign-ins whose
    /// `additionalEventData.UserName` (the typed name) stands beside `onBehalfOf.userId`.
    static func identities(_ db: Database, settings: DeriveSettings) throws -> IdentityDirectory {
        try db.execute(sql: "DELETE FROM identity")
        var all = settings.identities
        let fromFileDirectory = IdentityDirectory(settings.identities)
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT on_behalf_of_user_id AS id, json_extract(additional_event_data, '$.UserName') AS name
                FROM ct_event
                WHERE event_source = 'signin.amazonaws.com' AND on_behalf_of_user_id IS NOT NULL
                  AND json_valid(additional_event_data) AND json_extract(additional_event_data, '$.UserName') IS NOT NULL
                ORDER BY event_time, event_id
                """)
        for row in rows {
            guard let id: String = row["id"], let name: String = row["name"], name != "HIDDEN_DUE_TO_SECURITY_REASONS"
            else { continue }
            // identities.csv is the company's own word: a name it gives one id is not given
            // another by a sign-in (both would leave the name ambiguous, hence unresolved).
            if let listed = fromFileDirectory.resolve(name), listed.userID != id { continue }
            if !all.contains(where: { $0.userID == id }) { all.append(Identity(userID: id, userName: name)) }
        }
        let directory = IdentityDirectory(all)
        let fromFile = Set(settings.identities.map(\.userID))
        for identity in directory.all {
            try db.execute(
                sql: "INSERT INTO identity (user_id, user_name, email, cost_center, source) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    identity.userID, identity.userName, identity.email, identity.costCenter,
                    fromFile.contains(identity.userID) ? "identities.csv" : "cloudtrail",
                ])
        }
        return directory
    }

    // MARK: Clusters, security configurations, the policy timeline

    static func clustersAndPolicies(_ db: Database) throws {
        for table in ["emr_cluster", "security_configuration", "policy_change"] {
            try db.execute(sql: "DELETE FROM \(table)")
        }
        let events = try Row.fetchAll(
            db,
            sql: """
                SELECT event_id, event_time, event_source, event_name, recipient_account_id, identity_arn, user_name,
                       principal_id, on_behalf_of_user_id, request_parameters, response_elements, error_code
                FROM ct_event
                WHERE error_code IS NULL AND (
                      (event_source = 'elasticmapreduce.amazonaws.com'
                       AND event_name IN ('RunJobFlow', 'CreateSecurityConfiguration', 'DeleteSecurityConfiguration'))
                   OR (event_source = 'sso.amazonaws.com' AND event_name = 'PutApplicationSessionConfiguration'))
                ORDER BY event_time, event_id
                """)
        var appStatus: [String: String] = [:]
        var securityFlag: [String: Bool?] = [:]
        /// The Identity Center application role each security configuration names.
        var securityRole: [String: String] = [:]
        for e in events {
            let id: String = e["event_id"]
            let time: String = e["event_time"]
            let account: String? = e["recipient_account_id"]
            let arn: String? = e["identity_arn"]
            let userName: String? = e["user_name"]
            let principal: String? = e["principal_id"]
            let onBehalfOf: String? = e["on_behalf_of_user_id"]
            let actor = [arn, userName, principal, onBehalfOf].compactMap { $0 }.first { !$0.isEmpty }
            let request = JSONValue.object(e["request_parameters"])
            let response = JSONValue.object(e["response_elements"])
            switch e["event_name"] as String {
            case "RunJobFlow":
                guard let cluster = JSONValue.string(response, "jobFlowId") else { continue }
                // The service, instance-profile and autoscaling roles; the runtime role of the
                // steps it starts; and the Identity Center application role its security
                // configuration names, which relays the user's identity (formats.md §3.6).
                var roles = ["serviceRole", "jobFlowRole", "autoScalingRole", "stepExecutionRoleArn"].compactMap {
                    JSONValue.string(request, $0)
                }
                if let name = JSONValue.string(request, "securityConfiguration"), let role = securityRole[name] {
                    roles.append(role)
                }
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO emr_cluster (cluster_id, created_at, account_id, release_label, security_configuration, roles, event_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        cluster, time, account, JSONValue.string(request, "releaseLabel"),
                        JSONValue.string(request, "securityConfiguration"), JSONText.canonical(roles), id,
                    ])
            case "CreateSecurityConfiguration":
                guard let name = JSONValue.string(request, "name") else { continue }
                let flag = backgroundFlag(JSONValue.string(request, "securityConfiguration"))
                securityRole[name] = identityCenterRole(JSONValue.string(request, "securityConfiguration"))
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO security_configuration (name, created_at, account_id, background_enabled, event_id) VALUES (?, ?, ?, ?, ?)",
                    arguments: [name, time, account, flag.map { $0 ? 1 : 0 }, id])
                let old = securityFlag[name].flatMap { $0 }
                securityFlag[name] = flag
                try change(
                    db, time, account, actor, "CreateSecurityConfiguration", name, "EnableUserBackgroundSession",
                    old.map { "\($0)" }, flag.map { "\($0)" }, id)
            case "DeleteSecurityConfiguration":
                guard let name = JSONValue.string(request, "name") else { continue }
                try db.execute(
                    sql: "UPDATE security_configuration SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL",
                    arguments: [time, name])
                let old = securityFlag[name].flatMap { $0 }
                securityFlag[name] = nil
                try change(
                    db, time, account, actor, "DeleteSecurityConfiguration", name, "EnableUserBackgroundSession",
                    old.map { "\($0)" }, nil, id)
            default:  // PutApplicationSessionConfiguration
                guard let app = JSONValue.string(request, "applicationArn"),
                    let status = JSONValue.string(request, "userBackgroundSessionApplicationStatus")
                else { continue }
                try change(
                    db, time, account, actor, "PutApplicationSessionConfiguration", app,
                    "UserBackgroundSessionApplicationStatus", appStatus[app], status, id)
                appStatus[app] = status
            }
        }
    }

    static func change(
        _ db: Database, _ time: String, _ account: String?, _ actor: String?, _ name: String, _ target: String,
        _ setting: String, _ old: String?, _ new: String?, _ id: String
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO policy_change (event_time, account_id, actor, event_name, target, setting, old_value, new_value, event_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [time, account, actor, name, target, setting, old, new, id])
    }

    /// The background-session flag of a security configuration document (a JSON string in the
    /// request): `AuthenticationConfiguration.IdentityCenterConfiguration.EnableUserBackgroundSession`,
    /// also spelled `userBackgroundSessionsEnabled` (formats.md §3.6).
    ///
    /// No Identity Center configuration at all means no background sessions: false.
    /// Unreadable: nil.
    static func backgroundFlag(_ document: String?) -> Bool? {
        guard let document, let data = document.data(using: .utf8),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return nil }
        guard let auth = JSONValue.member(root, "authenticationConfiguration") as? [String: Any],
            let idc = JSONValue.member(auth, "identityCenterConfiguration") as? [String: Any]
        else { return false }
        for key in ["enableUserBackgroundSession", "userBackgroundSessionsEnabled"] {
            if let v = JSONValue.member(idc, key) { return JSONValue.bool(v) }
        }
        return false
    }

    /// The IAM role that procures Identity Center tokens on the cluster, as a security
    /// configuration document names it:
    /// `AuthenticationConfiguration.IdentityCenterConfiguration.IAMRoleForEMRIdentityCenterApplicationARN`.
    static func identityCenterRole(_ document: String?) -> String? {
        guard let document, let data = document.data(using: .utf8),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let auth = JSONValue.member(root, "authenticationConfiguration") as? [String: Any],
            let idc = JSONValue.member(auth, "identityCenterConfiguration") as? [String: Any]
        else { return nil }
        return JSONValue.member(idc, "iamRoleForEMRIdentityCenterApplicationARN") as? String
    }

    // MARK: Sessions

    /// What the identity columns of a session are computed from, made once per derive.
    struct SessionContext {
        let directory: IdentityDirectory
        let windows: [String: [(Int64, Int64)]]
        let policy: PolicyTimeline
        let roles: [String: Set<String>]
        /// Each cluster's AWS account (``clusterAccounts(_:settings:)``).
        let accounts: [String: String]
        /// The trail's cross-account role assumptions (``crossAccountAssumptions(_:)``).
        let crossAccount: [CrossAccountAssumption]
        /// The same, by who opened them (``byOpener(_:)``).
        let crossAccountByOpener: [String: [CrossAccountAssumption]]

        /// The columns `identityColumns` names, in order, for a session of `cluster` created at
        /// `created` (`createdAt` is its stored text), that ran `duration` seconds at `cost`.
        func columns(
            _ db: Database, cluster: String, batch: Bool, owner: String?, proxyUser: String?, created: Int64,
            createdAt: String,
            duration: Int64, cost: Double?
        ) throws -> [SQLValue] {
            let end = created + duration
            let name: String? = proxyUser ?? owner
            let identity = name.flatMap { directory.resolve($0) }

            // User background sessions are a thing of interactive sessions only: a batch job
            // runs on after its owner signs out by design, so it has no background time at all.
            var interactive: Int64?
            var background: Int64?
            if !batch, let identity, let w = windows[identity.userID] {
                interactive = covered(w, from: created, to: end)
                background = duration - interactive!
            }
            let observed =
                batch ? nil : background.map { $0 > backgroundGraceSeconds ? "background" : "interactive" } ?? "unknown"
            let backgroundCost = background.flatMap { b in
                cost.map { duration > 0 ? $0 * Double(b) / Double(duration) : 0 }
            }

            var status: String
            var onBehalfOf: Int64?
            var basis: String?
            if name == nil {
                status = "missing"
            } else if let identity {
                let clusterRoles = roles[cluster].flatMap { $0.isEmpty ? nil : $0 }
                let count = try propagatedEvents(
                    db, userID: identity.userID, from: created, to: end, roles: clusterRoles)
                onBehalfOf = count
                status = count > 0 ? "propagated" : "asserted"
                basis = clusterRoles == nil ? "any_role" : "cluster_role"
            } else {
                status = "unresolved"
            }
            return [
                .optionalText(identity?.userID), .optionalText(identity?.userName), .optionalText(identity?.costCenter),
                .optionalInteger(interactive), .optionalInteger(background), .optionalText(observed),
                .text(policy.mode(cluster: cluster, at: createdAt)), backgroundCost.map(SQLValue.real) ?? .null,
                .text(status), .optionalInteger(onBehalfOf), .optionalText(basis), .optionalText(accounts[cluster]),
                .optionalText(
                    userAccount(
                        cluster: accounts[cluster], names: [identity?.userName, identity?.email, name], from: created,
                        to: end)),
            ]
        }
    }

    /// The session columns ``SessionContext/columns(_:cluster:owner:proxyUser:created:createdAt:duration:cost:)``
    /// fills, in its order.
    static let identityColumns = [
        "user_id", "user_name", "cost_center", "interactive_s", "background_s", "mode_observed", "mode_policy",
        "background_cost_usd", "identity_status", "onbehalfof_events", "propagation_basis", "account_id",
        "user_account_id",
    ]

    /// Role names per cluster: the roles `RunJobFlow` names (with its security configuration's
    /// Identity Center application role), the runtime roles later calls name for it
    /// (`AddJobFlowSteps`, `GetClusterSessionCredentials`: `executionRoleArn`), and the config's.
    ///
    /// Runtime roles alone do not make a cluster's roles known: with its launch not in the data,
    /// the roles that did most of its work are not either.
    static func clusterRoles(_ db: Database, settings: DeriveSettings) throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT cluster_id, roles FROM emr_cluster") {
            let list = (JSONValue.parse(row["roles"]) as? [String]) ?? []
            out[row["cluster_id"], default: []].formUnion(list.map(roleName))
        }
        for (cluster, list) in settings.clusterRoles { out[cluster, default: []].formUnion(list.map(roleName)) }
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT request_parameters FROM ct_event
                WHERE event_source = 'elasticmapreduce.amazonaws.com' AND event_name IN ('AddJobFlowSteps', 'GetClusterSessionCredentials')
                  AND error_code IS NULL
                ORDER BY event_time, event_id
                """)
        {
            let request = JSONValue.object(row["request_parameters"])
            guard let cluster = JSONValue.string(request, "jobFlowId") ?? JSONValue.string(request, "clusterId"),
                let role = JSONValue.string(request, "executionRoleArn"), out[cluster] != nil
            else { continue }
            out[cluster]?.insert(roleName(role))
        }
        return out
    }

    /// `arn:aws:iam::1:role/path/Name` or `Name` → `Name`.
    static func roleName(_ s: String) -> String {
        String(s.split(separator: "/").last ?? Substring(s))
    }

    /// Events during [from, to) that carried the user's `onBehalfOf.userId` and were made by a role
    /// session (`AssumedRole`) of one of the cluster's roles; when the cluster's roles are unknown,
    /// of any role (a weaker check, which the session's `propagation_basis` names).
    ///
    /// The user's own Identity Center events (sign-in, portal, logout) carry `onBehalfOf` too, but
    /// they are the user acting, not the cluster acting as the user: they prove nothing.
    static func propagatedEvents(_ db: Database, userID: String, from: Int64, to: Int64, roles: Set<String>?) throws
        -> Int64
    {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT session_issuer_arn FROM ct_event
                WHERE on_behalf_of_user_id = ? AND event_time >= ? AND event_time < ?
                  AND identity_type = 'AssumedRole' AND session_issuer_arn IS NOT NULL
                """, arguments: [userID, SessionDeriver.isoMillis(from), SessionDeriver.isoMillis(to + 1)])
        guard let roles, !roles.isEmpty else { return Int64(rows.count) }
        return Int64(
            rows.filter { (($0["session_issuer_arn"] as String?).map(roleName)).map(roles.contains) ?? false }.count)
    }
}
