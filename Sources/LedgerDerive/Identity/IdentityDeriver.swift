import Foundation
import GRDB
import LedgerModel
import LedgerStore

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
        let windows = try signInWindows(db, directory: directory, duration: Int64(settings.interactiveSessionDurationSeconds))
        return SessionContext(
            directory: directory, windows: windows, policy: try PolicyTimeline(db), roles: try clusterRoles(db, settings: settings))
    }

    // MARK: Identities

    /// `identities.csv` first (it has cost centres), then users CloudTrail names: sign-ins whose
    /// `additionalEventData.UserName` (the typed name) stands beside `onBehalfOf.userId`.
    static func identities(_ db: Database, settings: DeriveSettings) throws -> IdentityDirectory {
        try db.execute(sql: "DELETE FROM identity")
        var all = settings.identities
        let fromFileDirectory = IdentityDirectory(settings.identities)
        let rows = try Row.fetchAll(db, sql: """
            SELECT on_behalf_of_user_id AS id, json_extract(additional_event_data, '$.UserName') AS name
            FROM ct_event
            WHERE event_source = 'signin.amazonaws.com' AND on_behalf_of_user_id IS NOT NULL
              AND json_valid(additional_event_data) AND json_extract(additional_event_data, '$.UserName') IS NOT NULL
            ORDER BY event_time, event_id
            """)
        for row in rows {
            guard let id: String = row["id"], let name: String = row["name"], name != "HIDDEN_DUE_TO_SECURITY_REASONS" else { continue }
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
                arguments: [identity.userID, identity.userName, identity.email, identity.costCenter,
                            fromFile.contains(identity.userID) ? "identities.csv" : "cloudtrail"])
        }
        return directory
    }

    // MARK: Clusters, security configurations, the policy timeline

    static func clustersAndPolicies(_ db: Database) throws {
        for table in ["emr_cluster", "security_configuration", "policy_change"] { try db.execute(sql: "DELETE FROM \(table)") }
        let events = try Row.fetchAll(db, sql: """
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
                var roles = ["serviceRole", "jobFlowRole", "autoScalingRole", "stepExecutionRoleArn"].compactMap { JSONValue.string(request, $0) }
                if let name = JSONValue.string(request, "securityConfiguration"), let role = securityRole[name] { roles.append(role) }
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO emr_cluster (cluster_id, created_at, account_id, release_label, security_configuration, roles, event_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [cluster, time, account, JSONValue.string(request, "releaseLabel"),
                                JSONValue.string(request, "securityConfiguration"), JSONText.canonical(roles), id])
            case "CreateSecurityConfiguration":
                guard let name = JSONValue.string(request, "name") else { continue }
                let flag = backgroundFlag(JSONValue.string(request, "securityConfiguration"))
                securityRole[name] = identityCenterRole(JSONValue.string(request, "securityConfiguration"))
                try db.execute(
                    sql: "INSERT OR REPLACE INTO security_configuration (name, created_at, account_id, background_enabled, event_id) VALUES (?, ?, ?, ?, ?)",
                    arguments: [name, time, account, flag.map { $0 ? 1 : 0 }, id])
                let old = securityFlag[name].flatMap { $0 }
                securityFlag[name] = flag
                try change(db, time, account, actor, "CreateSecurityConfiguration", name, "EnableUserBackgroundSession",
                           old.map { "\($0)" }, flag.map { "\($0)" }, id)
            case "DeleteSecurityConfiguration":
                guard let name = JSONValue.string(request, "name") else { continue }
                try db.execute(
                    sql: "UPDATE security_configuration SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL",
                    arguments: [time, name])
                let old = securityFlag[name].flatMap { $0 }
                securityFlag[name] = nil
                try change(db, time, account, actor, "DeleteSecurityConfiguration", name, "EnableUserBackgroundSession",
                           old.map { "\($0)" }, nil, id)
            default:  // PutApplicationSessionConfiguration
                guard let app = JSONValue.string(request, "applicationArn"),
                    let status = JSONValue.string(request, "userBackgroundSessionApplicationStatus")
                else { continue }
                try change(db, time, account, actor, "PutApplicationSessionConfiguration", app,
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
    /// also spelled `userBackgroundSessionsEnabled` (formats.md §3.6). No Identity Center
    /// configuration at all means no background sessions: false. Unreadable: nil.
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

    // MARK: Interactive windows

    /// Per user id: the times the user was signed in. A sign-in opens a window that closes at the
    /// user's next logout or after `duration`, whichever is first.
    static func signInWindows(_ db: Database, directory: IdentityDirectory, duration: Int64) throws -> [String: [(Int64, Int64)]] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT event_time, event_name, on_behalf_of_user_id AS id, user_name,
                   CASE WHEN json_valid(additional_event_data) THEN json_extract(additional_event_data, '$.UserName') END AS typed,
                   CASE WHEN json_valid(service_event_details) THEN json_extract(service_event_details, '$.UserAuthentication') END AS outcome,
                   error_code
            FROM ct_event
            WHERE (event_source = 'signin.amazonaws.com' AND event_name IN ('UserAuthentication', 'Logout'))
               OR (event_source = 'sso.amazonaws.com' AND event_name IN ('Authenticate', 'Federate', 'Logout'))
            ORDER BY event_time, event_id
            """)
        var signIns: [String: [Int64]] = [:]
        var logouts: [String: [Int64]] = [:]
        for r in rows {
            guard let time = SessionDeriver.seconds(r["event_time"]) else { continue }
            let name: String? = r["typed"] ?? r["user_name"]
            guard let user: String = r["id"] ?? name.flatMap({ directory.resolve($0)?.userID }) else { continue }
            if (r["event_name"] as String) == "Logout" {
                logouts[user, default: []].append(time)
            } else if (r["error_code"] as String?) == nil, (r["outcome"] as String?).map({ $0 == "Success" }) ?? true {
                signIns[user, default: []].append(time)
            }
        }
        var windows: [String: [(Int64, Int64)]] = [:]
        for (user, starts) in signIns {
            let outs = logouts[user, default: []]
            windows[user] = starts.map { start in
                let logout = outs.first { $0 >= start }
                return (start, min(start + duration, logout ?? Int64.max))
            }
        }
        return windows
    }

    /// Seconds of [from, to) covered by the union of `windows`.
    static func covered(_ windows: [(Int64, Int64)], from: Int64, to: Int64) -> Int64 {
        let clipped = windows.compactMap { w -> (Int64, Int64)? in
            let s = max(w.0, from), e = min(w.1, to)
            return s < e ? (s, e) : nil
        }.sorted { $0.0 < $1.0 }
        var total: Int64 = 0
        var current: (Int64, Int64)?
        for w in clipped {
            if let c = current, w.0 <= c.1 {
                current = (c.0, max(c.1, w.1))
            } else {
                if let c = current { total += c.1 - c.0 }
                current = w
            }
        }
        if let c = current { total += c.1 - c.0 }
        return total
    }

    // MARK: Sessions

    /// What the identity columns of a session are computed from, made once per derive.
    struct SessionContext {
        let directory: IdentityDirectory
        let windows: [String: [(Int64, Int64)]]
        let policy: PolicyTimeline
        let roles: [String: Set<String>]

        /// The columns `identityColumns` names, in order, for a session of `cluster` created at
        /// `created` (`createdAt` is its stored text), that ran `duration` seconds at `cost`.
        func columns(
            _ db: Database, cluster: String, batch: Bool, owner: String?, proxyUser: String?, created: Int64, createdAt: String,
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
            let observed = batch ? nil : background.map { $0 > backgroundGraceSeconds ? "background" : "interactive" } ?? "unknown"
            let backgroundCost = background.flatMap { b in cost.map { duration > 0 ? $0 * Double(b) / Double(duration) : 0 } }

            var status: String
            var onBehalfOf: Int64?
            var basis: String?
            if name == nil {
                status = "missing"
            } else if let identity {
                let clusterRoles = roles[cluster].flatMap { $0.isEmpty ? nil : $0 }
                let count = try propagatedEvents(db, userID: identity.userID, from: created, to: end, roles: clusterRoles)
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
                .text(status), .optionalInteger(onBehalfOf), .optionalText(basis),
            ]
        }
    }

    /// The session columns ``SessionContext/columns(_:cluster:owner:proxyUser:created:createdAt:duration:cost:)``
    /// fills, in its order.
    static let identityColumns = [
        "user_id", "user_name", "cost_center", "interactive_s", "background_s", "mode_observed", "mode_policy",
        "background_cost_usd", "identity_status", "onbehalfof_events", "propagation_basis",
    ]

    /// Role names per cluster: the roles `RunJobFlow` names (with its security configuration's
    /// Identity Center application role), the runtime roles later calls name for it
    /// (`AddJobFlowSteps`, `GetClusterSessionCredentials`: `executionRoleArn`), and the config's.
    /// Runtime roles alone do not make a cluster's roles known: with its launch not in the data,
    /// the roles that did most of its work are not either.
    static func clusterRoles(_ db: Database, settings: DeriveSettings) throws -> [String: Set<String>] {
        var out: [String: Set<String>] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT cluster_id, roles FROM emr_cluster") {
            let list = (JSONValue.parse(row["roles"]) as? [String]) ?? []
            out[row["cluster_id"], default: []].formUnion(list.map(roleName))
        }
        for (cluster, list) in settings.clusterRoles { out[cluster, default: []].formUnion(list.map(roleName)) }
        for row in try Row.fetchAll(db, sql: """
            SELECT request_parameters FROM ct_event
            WHERE event_source = 'elasticmapreduce.amazonaws.com' AND event_name IN ('AddJobFlowSteps', 'GetClusterSessionCredentials')
              AND error_code IS NULL
            ORDER BY event_time, event_id
            """) {
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

    /// Events during [from, to) that carried the user's `onBehalfOf.userId` and were made by a
    /// role session (`AssumedRole`) of one of the cluster's roles; when the cluster's roles are
    /// unknown, of any role (a weaker check, which the session's `propagation_basis` names). The
    /// user's own Identity Center events (sign-in, portal, logout) carry `onBehalfOf` too, but
    /// they are the user acting, not the cluster acting as the user: they prove nothing.
    static func propagatedEvents(_ db: Database, userID: String, from: Int64, to: Int64, roles: Set<String>?) throws -> Int64 {
        let rows = try Row.fetchAll(db, sql: """
            SELECT session_issuer_arn FROM ct_event
            WHERE on_behalf_of_user_id = ? AND event_time >= ? AND event_time < ?
              AND identity_type = 'AssumedRole' AND session_issuer_arn IS NOT NULL
            """, arguments: [userID, SessionDeriver.isoMillis(from), SessionDeriver.isoMillis(to + 1)])
        guard let roles, !roles.isEmpty else { return Int64(rows.count) }
        return Int64(rows.filter { (($0["session_issuer_arn"] as String?).map(roleName)).map(roles.contains) ?? false }.count)
    }
}

/// What background-session policy was in force, as of any moment (SPEC §4, "Policy").
struct PolicyTimeline {
    struct Cluster {
        let created: String
        let release: String?
        let securityConfiguration: String?
    }

    var clusters: [String: Cluster] = [:]
    /// (name, created, deleted, flag)
    var configurations: [(String, String, String?, Bool?)] = []
    /// (time, application, status), in time order.
    var applicationStatus: [(String, String, String)] = []

    init(_ db: Database) throws {
        for r in try Row.fetchAll(db, sql: "SELECT cluster_id, created_at, release_label, security_configuration FROM emr_cluster") {
            clusters[r["cluster_id"]] = Cluster(created: r["created_at"], release: r["release_label"], securityConfiguration: r["security_configuration"])
        }
        for r in try Row.fetchAll(db, sql: "SELECT name, created_at, deleted_at, background_enabled FROM security_configuration ORDER BY created_at") {
            configurations.append((r["name"], r["created_at"], r["deleted_at"], (r["background_enabled"] as Int?).map { $0 == 1 }))
        }
        for r in try Row.fetchAll(db, sql: """
            SELECT event_time, target, new_value FROM policy_change
            WHERE event_name = 'PutApplicationSessionConfiguration' ORDER BY event_time, event_id
            """) {
            applicationStatus.append((r["event_time"], r["target"], r["new_value"]))
        }
    }

    /// Whether the Identity Center applications in force at `at` allow background sessions:
    /// nil when none is known or they disagree.
    func applicationAllowsBackground(at: String) -> Bool? {
        var latest: [String: String] = [:]
        for (time, app, status) in applicationStatus where time <= at { latest[app] = status }
        let statuses = Set(latest.values)
        return statuses.count == 1 ? statuses.first == "ENABLED" : nil
    }

    /// `background`, `interactive` or `unknown` for a session created at `at` (ISO) on `cluster`:
    /// background only if the Identity Center application allows it, the cluster's security
    /// configuration enables it and the release is emr-7.11.0 or later; interactive if any of
    /// these is known to be false. Several applications in force that disagree: unknown.
    func mode(cluster clusterID: String, at: String) -> String {
        // `…Z` → `….000Z`; on the bytes when the only `Z` is the last (the stored form): this
        // runs once per session, too often for Foundation's replacing (benchmarks/NOTES.md,
        // `PolicyTimeline.mode`).
        let stamp = at.utf8.last == 0x5A && at.utf8.dropLast().allSatisfy({ $0 != 0x5A })
            ? String(decoding: at.utf8.dropLast(), as: UTF8.self) + ".000Z"
            : at.replacingOccurrences(of: "Z", with: ".000Z")
        var facts: [Bool?] = [applicationAllowsBackground(at: stamp)]
        if let cluster = clusters[clusterID] {
            facts.append(cluster.release.flatMap(Self.releaseAllowsBackground))
            if let name = cluster.securityConfiguration {
                // The configuration as it was when the cluster was launched (they cannot be edited).
                let config = configurations.last { $0.0 == name && $0.1 <= cluster.created && ($0.2 ?? "~") > cluster.created }
                facts.append(config?.3)
            } else {
                facts.append(false)  // launched without a security configuration: no Identity Center at all
            }
        } else {
            facts.append(nil)
            facts.append(nil)
        }
        if facts.contains(false) { return "interactive" }
        if facts.allSatisfy({ $0 == true }) { return "background" }
        return "unknown"
    }

    /// `emr-7.11.0` or later; nil for a label that is not an EMR release.
    static func releaseAllowsBackground(_ label: String) -> Bool? {
        guard label.hasPrefix("emr-") else { return nil }
        let parts = label.dropFirst(4).split(separator: ".").map { Int($0) }
        guard parts.count >= 2, let major = parts[0], let minor = parts[1] else { return nil }
        return major > 7 || (major == 7 && minor >= 11)
    }
}

/// Reading JSON text stored by the parsers, with keys matched case-insensitively (CloudTrail's
/// casing varies by service: `releaseLabel` and `ReleaseLabel` both occur).
enum JSONValue {
    static func parse(_ text: String?) -> Any? {
        guard let text, let data = text.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: data)
    }

    static func object(_ text: String?) -> [String: Any]? { parse(text) as? [String: Any] }

    static func member(_ object: [String: Any]?, _ key: String) -> Any? {
        guard let object else { return nil }
        if let v = object[key] { return v }
        let lower = key.lowercased()
        return object.first { $0.key.lowercased() == lower }?.value
    }

    static func string(_ object: [String: Any]?, _ key: String) -> String? {
        member(object, key) as? String
    }

    static func bool(_ value: Any) -> Bool? {
        if let s = value as? String { return s.lowercased() == "true" ? true : (s.lowercased() == "false" ? false : nil) }
        if let n = value as? NSNumber { return n.boolValue }
        return nil
    }
}
