import Foundation
import GRDB

/// What background-session policy was in force, as of any moment (SPEC §4, "Policy").
struct PolicyTimeline {
    struct Cluster {
        let created: String
        let release: String?
        let securityConfiguration: String?
    }

    var clusters: [String: Cluster] = [:]
    /// (name, created, deleted, flag).
    var configurations: [(String, String, String?, Bool?)] = []
    /// (time, application, status), in time order.
    var applicationStatus: [(String, String, String)] = []

    init(_ db: Database) throws {
        for r in try Row.fetchAll(
            db, sql: "SELECT cluster_id, created_at, release_label, security_configuration FROM emr_cluster")
        {
            clusters[r["cluster_id"]] = Cluster(
                created: r["created_at"], release: r["release_label"],
                securityConfiguration: r["security_configuration"])
        }
        for r in try Row.fetchAll(
            db,
            sql:
                "SELECT name, created_at, deleted_at, background_enabled FROM security_configuration ORDER BY created_at"
        ) {
            configurations.append(
                (r["name"], r["created_at"], r["deleted_at"], (r["background_enabled"] as Int?).map { $0 == 1 }))
        }
        for r in try Row.fetchAll(
            db,
            sql: """
                SELECT event_time, target, new_value FROM policy_change
                WHERE event_name = 'PutApplicationSessionConfiguration' ORDER BY event_time, event_id
                """)
        {
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
    /// configuration enables it and the release is emr-7.11.0 or later; interactive if any of these
    /// is known to be false.
    ///
    /// Several applications in force that disagree: unknown.
    func mode(cluster clusterID: String, at: String) -> String {
        // `…Z` → `….000Z`; on the bytes when the only `Z` is the last (the stored form): this
        // runs once per session, too often for Foundation's replacing (benchmarks/NOTES.md,
        // `PolicyTimeline.mode`).
        let stamp =
            at.utf8.last == 0x5A && at.utf8.dropLast().allSatisfy({ $0 != 0x5A })
            ? String(decoding: at.utf8.dropLast(), as: UTF8.self) + ".000Z"
            : at.replacingOccurrences(of: "Z", with: ".000Z")
        var facts: [Bool?] = [applicationAllowsBackground(at: stamp)]
        if let cluster = clusters[clusterID] {
            facts.append(cluster.release.flatMap(Self.releaseAllowsBackground))
            if let name = cluster.securityConfiguration {
                // The configuration as it was when the cluster was launched (they cannot be edited).
                let config = configurations.last {
                    $0.0 == name && $0.1 <= cluster.created && ($0.2 ?? "~") > cluster.created
                }
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
