import Foundation
import GRDB
import LedgerModel
import LedgerSQLite

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
/// 4. `sagemaker_job`, `sagemaker_pipeline_execution` and `finding` (``FindingsDeriver``).
public enum Deriver {
    /// The cluster of files whose path names none and that were given no `--cluster`.
    public static let unknownCluster = "unknown"

    /// Rebuilds every derived table; `timing`, when given, hears how long each step took.
    ///
    /// With `readers` (``LedgerStore/derive(_:)``), sessions are derived on several threads. With
    /// `cap` (stored instant text), no cluster's `as_of` is later than it (SPEC §4).
    public static func rebuild(
        _ db: Database, settings: DeriveSettings, readers: LedgerReaders? = nil, cap: String? = nil,
        timing: ((String, Duration) -> Void)? = nil
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
                SELECT coalesce(cluster_id, '\(unknownCluster)'), count(*), min(max(last_event), coalesce(?, max(last_event)))
                FROM input_file WHERE format IS NOT ?
                GROUP BY 1
                ORDER BY 1
                """,
            arguments: [cap, CloudTrailNames.extractFormat])
        let identity = try step("identities") { try IdentityDeriver.rebuild(db, settings: settings) }
        try step("sessions") {
            try SessionDeriver.rebuild(db, settings: settings, identity: identity, readers: readers)
        }
        try step("findings") { try FindingsDeriver.rebuild(db, settings: settings, identity: identity) }
    }
}

extension Deriver {
    /// The staging tables whose rows happen at a time, and the column (or SQL expression) that
    /// says when: what a derive as of an earlier instant must not see past it.
    static let timedStaging: [(table: String, time: String)] = [
        ("livy_event", "at"), ("livy_request", "at"), ("livy_statement", "started"), ("yarn_app", "finish_time"),
        ("yarn_audit", "at"), ("ct_event", "event_time"), ("yarn_app_listing", "listed_at"),
        ("yarn_app_containers", "first_at"), ("sagemaker_job_state", "coalesce(observed_at, ended_at, created_at)"),
        ("sagemaker_pipeline_state", "coalesce(observed_at, ended_at, started_at)"),
    ]

    /// The tables ``rebuild(_:settings:readers:cap:timing:)`` writes.
    static let derivedTables = [
        "cluster", "identity", "emr_cluster", "security_configuration", "policy_change", "session", "sagemaker_job",
        "sagemaker_pipeline_execution", "finding",
        "ct_file_digest", "cluster_hour",
    ]

    /// Derives the ledger as it stood at `cap` (stored instant text, exclusive), into temporary
    /// tables of this connection that hide the ledger's own derived tables from it: what a
    /// report of a past window reads, so that it gives the same numbers whenever it is run.
    ///
    /// Works on a read-only connection (SQLite's temporary schema is always writable). Each
    /// staging table with event times is seen through a temporary view of its rows before the
    /// cap (a YARN summary only once its app finished, a statement's completion only if it came
    /// before); each derived table is a temporary table made from the ledger's own definition,
    /// so the same code derives into it. The files themselves are not capped: the findings
    /// about them (integrity, coverage) and data quality are not windowed.
    public static func snapshot(_ db: Database, settings: DeriveSettings, cap: String) throws {
        // Temporary tables cannot reference the ledger's (`ct_file_digest` → `input_file`).
        try db.execute(sql: "PRAGMA foreign_keys = OFF")
        let quoted = "'" + cap.replacingOccurrences(of: "'", with: "''") + "'"
        for (table, time) in timedStaging {
            var columns = try Row.fetchAll(
                db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table]
            ).map { $0["name"] as String }
            if table == "livy_statement" {
                columns = columns.map {
                    $0 == "completed" ? "CASE WHEN completed < \(quoted) THEN completed END AS completed" : $0
                }
            }
            try db.execute(sql: "DROP VIEW IF EXISTS temp.\(table)")
            try db.execute(
                sql: """
                    CREATE TEMP VIEW \(table) AS SELECT \(columns.joined(separator: ", ")) FROM main.\(table) WHERE \(time) < \(quoted)
                    """)
        }
        for table in derivedTables {
            try db.execute(sql: "DROP TABLE IF EXISTS temp.\(table)")
            guard
                let sql = try String.fetchOne(
                    db, sql: "SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]),
                sql.hasPrefix("CREATE TABLE ")
            else { throw DatabaseError(message: "no table \(table) in the ledger") }
            try db.execute(sql: "CREATE TEMP TABLE " + sql.dropFirst(13))
            for index in try String.fetchAll(
                db,
                sql: """
                    SELECT sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name
                    """, arguments: [table]) where index.hasPrefix("CREATE INDEX ")
            {
                try db.execute(sql: "CREATE INDEX temp." + index.dropFirst(13))
            }
        }
        try rebuild(db, settings: settings, cap: cap)
    }
}
