import GRDB

extension SessionDeriver {
    /// `session.peak_containers` and `peak_vcores`: the most its YARN app held at once, from the
    /// per-file sums of the ResourceManager's container audit lines (`yarn_app_containers`).
    ///
    /// An app's rows are added up in time order: each file's counts start at 0, so a row's
    /// peak counts from what the rows before it left held. vCores only where every row has them.
    /// One statement over the rows of the sessions' apps, after the sessions are written.
    static func setContainerPeaks(_ db: Database) throws {
        try db.execute(
            sql: """
                WITH seg AS (
                    SELECT c.app_id, c.peak_containers, c.peak_vcores,
                           coalesce(sum(c.net_containers) OVER w, 0) AS before_containers,
                           coalesce(sum(c.net_vcores) OVER w, 0) AS before_vcores
                    FROM yarn_app_containers c JOIN input_file f ON f.id = c.file_id
                    WHERE c.app_id IN (SELECT app_id FROM session WHERE app_id IS NOT NULL)
                    WINDOW w AS (PARTITION BY c.app_id ORDER BY c.first_at, f.path, c.line
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                ),
                peaks AS (
                    SELECT app_id, max(before_containers + peak_containers) AS containers,
                           CASE WHEN count(peak_vcores) = count(*) THEN max(before_vcores + peak_vcores) END AS vcores
                    FROM seg GROUP BY app_id
                )
                UPDATE session SET peak_containers = peaks.containers, peak_vcores = peaks.vcores
                FROM peaks WHERE session.app_id = peaks.app_id
                """)
    }
}
