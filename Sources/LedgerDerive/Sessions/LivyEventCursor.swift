import GRDB
import LedgerModel
import LedgerSQLite

extension SessionDeriver {
    /// The walk's query of a cluster's `livy_event` lines, and the cells of the row it stands on,
    /// by name: the only place that knows the columns' positions, next to the SELECT that sets
    /// them.
    ///
    /// Each accessor is one read of the current row, as the walk made it by position.
    struct LivyEventCursor {
        private let r: RawStatement

        /// Lines of one instant in the index's order (by file id), or `byFileStart`: the file
        /// that begins earlier first, then by path.
        init(_ db: Database, byFileStart: Bool) throws {
            // Read through SQLite's C API by column position (RawStatement), not GRDB's row
            // decoding by name (benchmarks/NOTES.md, `SessionDeriver`).
            let columns = """
                e.file_id, e.line, e.at, e.event, e.session_type, e.session_id, e.app_id, e.owner, e.proxy_user, e.kind,
                e.driver_memory, e.driver_cores, e.executor_memory, e.executor_cores, e.num_executors, e.queue, e.conf, e.detail
                """
            r = RawStatement(
                try db.makeStatement(
                    sql: byFileStart
                        ? """
                        SELECT \(columns) FROM livy_event e JOIN input_file f ON f.id = e.file_id
                        WHERE e.cluster_id IS ? ORDER BY e.at, f.first_event, f.path, e.line
                        """
                        : "SELECT \(columns) FROM livy_event e WHERE e.cluster_id IS ? ORDER BY e.at, e.file_id, e.line"
                ))
        }

        @inline(__always) func reset() { r.reset() }

        /// `cluster` as staging rows store it (``storedClusterID(_:)``).
        @inline(__always) func bind(cluster: String?) throws { try r.bind([.optionalText(cluster)]) }

        @inline(__always) func step() throws -> Bool { try r.step() }

        // The cells of the current row, in the order of `columns`.

        @inline(__always) var fileID: Int64? { r.integer(0) }
        @inline(__always) var line: Int64? { r.integer(1) }

        /// The bytes of `at`, read in place.
        @inline(__always) func withAt<R>(_ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
            try r.withBytes(2, body)
        }

        /// The bytes of `event`, read in place.
        @inline(__always) func withEvent<R>(_ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
            try r.withBytes(3, body)
        }

        /// The bytes of `session_type`, read in place.
        @inline(__always) func withSessionType<R>(_ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
            try r.withBytes(4, body)
        }

        @inline(__always) var sessionType: String? { r.text(4) }
        @inline(__always) var sessionID: Int64? { r.integer(5) }
        @inline(__always) var appID: String? { r.text(6) }
        @inline(__always) var owner: String? { r.text(7) }
        @inline(__always) var proxyUser: String? { r.text(8) }
        @inline(__always) var kind: String? { r.text(9) }
        @inline(__always) var driverMemory: String? { r.text(10) }
        @inline(__always) var driverCores: Int64? { r.integer(11) }
        @inline(__always) var executorMemory: String? { r.text(12) }
        @inline(__always) var executorCores: Int64? { r.integer(13) }
        @inline(__always) var numExecutors: Int64? { r.integer(14) }
        @inline(__always) var queue: String? { r.text(15) }
        @inline(__always) var conf: String? { r.text(16) }
        /// What the line says beyond its event: the count of a recovery line, the timeout of a
        /// create request, the timeout an idle-timeout line prints.
        @inline(__always) var detail: String? { r.text(17) }
    }
}
