import Foundation
import GRDB

extension FindingsDeriver {
    /// `orphaned_yarn_app`: a Livy session's YARN app that a saved `yarn application -list` shows
    /// still submitted, accepted or running after Livy ended the session.
    ///
    /// The app holds the shared cluster's containers for no one: the `yarn application -kill`
    /// candidate of the shared-endpoint documentation, with what it cost since the session ended.
    /// One finding an app, on its latest such listing; a listing before the session ended, or of
    /// a finished app, says nothing.
    static func orphanedAppFindings(_ db: Database, _ add: Add) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT l.app_id, l.state, l.listed_at, f.path || ':' || l.line AS evidence, s.session_key,
                       coalesce(s.user_name, s.proxy_user, s.owner, 'the Livy service user') AS who,
                       s.ended_at, s.end_reason, s.cost_usd / nullif(s.duration_s, 0) AS usd_per_s,
                       CAST(strftime('%s', l.listed_at) AS INTEGER) - CAST(strftime('%s', s.ended_at) AS INTEGER) AS after_s
                FROM yarn_app_listing l
                JOIN session s ON s.app_id = l.app_id
                JOIN input_file f ON f.id = l.file_id
                WHERE (l.state = 'SUBMITTED' OR l.state = 'ACCEPTED' OR l.state = 'RUNNING') AND s.ended_at IS NOT NULL
                  AND CAST(strftime('%s', l.listed_at) AS INTEGER) > CAST(strftime('%s', s.ended_at) AS INTEGER)
                ORDER BY l.app_id, l.listed_at DESC, f.path, l.line
                """)
        var previous: String?
        while let row = try rows.next() {
            let app: String = row["app_id"]
            guard app != previous else { continue }
            previous = app
            let ended: String = row["ended_at"]
            let endReason: String = row["end_reason"]
            let sessionKey: String = row["session_key"]
            let who: String = row["who"]
            let state: String = row["state"]
            let listedAt: String = row["listed_at"]
            let after: Int64 = row["after_s"]
            // What it cost since, at the session's own rate (SPEC §4 apportions idle and
            // background cost the same way).
            let cost = (row["usd_per_s"] as Double?).map {
                " (about $" + String(format: "%.4f", $0 * Double(after)) + " since, at the session's rate)"
            }
            add(
                "medium", "orphaned_yarn_app", app,
                "\(who)'s session \(sessionKey) ended at \(ended) (\(endReason)), but YARN listed its app \(state) "
                    + "at \(wholeSeconds(listedAt)), \(after) s later\(cost ?? ""): yarn application -kill \(app)",
                row["evidence"])
        }
    }
}
