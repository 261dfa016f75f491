import LedgerSQLite

extension SessionDeriver {
    /// The per-file sums of a cluster's container audit lines (`yarn_app_containers`), each
    /// app's in time order: in the index's order, so SQLite does not sort them.
    static let clusterContainerRowsSQL = """
        SELECT app_id, peak_containers, net_containers, peak_vcores, net_vcores
        FROM yarn_app_containers WHERE cluster_id IS ? ORDER BY cluster_id, app_id, first_at
        """

    /// The most containers and vCores each app held at once, from ``clusterContainerRowsSQL``'s
    /// rows as `next` steps through them.
    ///
    /// Each file's counts start at 0, so a row's peak counts from what the rows before it left
    /// held. vCores only where every row of the app has them. Folded here, not by a window in
    /// SQL: most apps have one row, and the window's sort was most of the time.
    static func containerPeaks(_ r: RawStatement) throws -> [String: (containers: Int64, vcores: Int64?)] {
        var peaks: [String: (containers: Int64, vcores: Int64?)] = [:]
        var app: String?
        var held: Int64 = 0
        var heldVcores: Int64? = 0
        var peak: (containers: Int64, vcores: Int64?) = (0, 0)
        func close() {
            if let app { peaks[app] = peak }
        }
        while try r.step() {
            guard let id = r.text(0), let peakContainers = r.integer(1), let net = r.integer(2) else { continue }
            if id != app {
                close()
                app = id
                held = 0
                heldVcores = 0
                peak = (Int64.min, Int64.min)
            }
            peak.containers = max(peak.containers, held + peakContainers)
            held += net
            if let v = heldVcores, let p = r.integer(3), let n = r.integer(4) {
                peak.vcores = peak.vcores.map { max($0, v + p) }
                heldVcores = v + n
            } else {
                heldVcores = nil
                peak.vcores = nil
            }
        }
        close()
        return peaks
    }
}
