import GRDB
import LedgerModel
import LedgerSQLite

/// Rebuilds `session` from `livy_event`, `livy_request`, `yarn_app` and `yarn_audit` (SPEC §4).
///
/// Per cluster, the Livy lifecycle lines are walked in time order. A session's identity is
/// (cluster, Livy server start, session id): ids restart from 0 when the server restarts without
/// recovery. Times are kept to the second, as Livy logs them, so that every duration is exactly
/// the difference of the times shown beside it.
///
/// The end-reason rules of SPEC §4 are applied in their order, reading "while the session had
/// not already finished" literally for every rule: a deletion or a timeout counts only if it
/// came before the session's YARN application ended (5 s tolerance for the two logs' clocks).
/// A session whose application finished on its own (the user's code stopped Spark) before
/// Livy deleted it gets `app_finished`, a reason the SPEC's list lacks.
enum SessionDeriver {
    /// Seconds of slack between the Livy log (second precision) and YARN (milliseconds).
    static let tolerance: Int64 = 5

    /// With `readers`, the sessions are found and finished on other threads, each on a connection
    /// of its own (``ParallelSessions``), and this one only writes them, in the same order as
    /// without.
    ///
    /// Either way they are written a block at a time.
    static func rebuild(
        _ db: Database, settings: DeriveSettings, identity: IdentityDeriver.SessionContext,
        readers: LedgerReaders? = nil,
        shape: ParallelSessions.Shape = .automatic
    ) throws {
        // Clusters without an `as_of` have no events, hence no sessions.
        let clusters = try Row.fetchAll(db, sql: "SELECT cluster_id, as_of FROM cluster ORDER BY cluster_id").compactMap
        { row in
            (row["as_of"] as String?).flatMap(seconds).map { (id: row["cluster_id"] as String, asOf: $0) }
        }
        if let readers, shape.threads > 1 {
            let parallel = ParallelSessions(
                clusters: clusters, readers: readers, shape: shape, settings: settings, identity: identity)
            try parallel.run(
                meanwhile: { try db.execute(sql: "DELETE FROM session") },
                write: { rows in try MultiRowInsert.insert(db, rows) })
            return
        }
        try db.execute(sql: "DELETE FROM session")
        let statements = try Statements(db)
        for cluster in clusters {
            let found = try ClusterLookups(db, statements, clusterID: cluster.id)
            for block in try walk(db, clusterID: cluster.id).blocks {
                try MultiRowInsert.insert(
                    db,
                    try finish(
                        db, statements, found, block, asOf: cluster.asOf, settings: settings, identity: identity))
            }
        }
    }

    /// The `cluster_id` as staging rows store it: NULL for the derived cluster `unknown`
    /// (compared with `IS ?`, which SQLite answers from the index like `= ?`).
    static func storedClusterID(_ clusterID: String) -> String? {
        clusterID == Deriver.unknownCluster ? nil : clusterID
    }

    /// Whole seconds of an ISO instant (milliseconds dropped).
    ///
    /// Read on the bytes, each field as `Int(_:)` reads it (an optional sign, then digits): it runs
    /// for every Livy event and session of a derive.
    static func seconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8(seconds)
    }

    /// ``seconds(_:)-(String)`` of the UTF-8 bytes of an instant.
    static func seconds(_ u: UnsafeBufferPointer<UInt8>) -> Int64? {
        UTCTime.seconds(u)
    }

    /// `YYYY-MM-DDTHH:MM:SS.000Z`, the stored form, for comparing with stored instants.
    static func isoMillis(_ seconds: Int64) -> String {
        UTCTime.iso8601(millis: seconds * 1000)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    static func iso(_ seconds: Int64) -> String {
        UTCTime.iso8601Seconds(millis: seconds * 1000)
    }
}
