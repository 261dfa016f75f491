import GRDB
import LedgerModel
import LedgerStore

/// Rebuilds the derived tables from the staging tables, deterministically, inside the caller's
/// transaction (the pipeline runs it in one write transaction at the end of every ingest).
///
/// Derived so far, in this order (sessions need each cluster's `as_of`):
/// 1. `cluster`: one row per cluster id seen in the manifest, with its file count and `as_of`,
///    the latest event time in any of its inputs (SPEC §4). Files without a cluster id count
///    as the cluster `unknown`, so that their sessions are still rebuilt.
/// 2. `identity`, `emr_cluster`, `security_configuration`, `policy_change` (``IdentityDeriver``),
///    and what the session columns CloudTrail fills are computed from.
/// 3. `session`: one row per Livy session (``SessionDeriver``), with those columns: user,
///    interactive and background time, policy, identity status.
///
/// 4. `sagemaker_job` and `finding` (``FindingsDeriver``).
public enum Deriver {
    /// The cluster of files whose path names none and that were given no `--cluster`.
    public static let unknownCluster = "unknown"

    /// Rebuilds every derived table; `timing`, when given, hears how long each step took.
    /// With `readers` (``LedgerStore/derive(_:)``), sessions are derived on several threads.
    public static func rebuild(
        _ db: Database, settings: DeriveSettings, readers: LedgerReaders? = nil, timing: ((String, Duration) -> Void)? = nil
    ) throws {
        let clock = ContinuousClock()
        func step<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = clock.now
            let result = try body()
            timing?(name, start.duration(to: clock.now))
            return result
        }
        try db.execute(sql: "DELETE FROM cluster")
        try db.execute(
            sql: """
                INSERT INTO cluster (cluster_id, files, as_of)
                SELECT coalesce(cluster_id, '\(unknownCluster)'), count(*), max(last_event)
                FROM input_file
                GROUP BY 1
                ORDER BY 1
                """)
        let identity = try step("identities") { try IdentityDeriver.rebuild(db, settings: settings) }
        try step("sessions") { try SessionDeriver.rebuild(db, settings: settings, identity: identity, readers: readers) }
        try step("findings") { try FindingsDeriver.rebuild(db, settings: settings, identity: identity) }
    }
}
