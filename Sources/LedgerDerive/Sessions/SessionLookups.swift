import Foundation
import GRDB
import LedgerModel
import LedgerSQLite

extension SessionDeriver {
    struct App {
        var id: String
        var state: String?
        var finalStatus: String?
        var finish: Int64?
        var vcoreSeconds: Int64?
        var memorySeconds: Int64?
        var queue: String?
        var killedBy: String?
        var evidence: String
    }

    /// The statements `finish` runs for every session, prepared once per derive and run
    /// through SQLite's C API (``RawStatement``), not GRDB's argument boxing and row decoding:
    /// they run for each of a year's 500,000 sessions (benchmarks/NOTES.md, `SessionDeriver`).
    struct Statements {
        let clusterApps: RawStatement
        let clusterRequestKeys: RawStatement
        let clusterStatementSessions: RawStatement
        let clusterContainerPeaks: RawStatement
        let appByID: RawStatement
        let appByTag: RawStatement
        let appByName: RawStatement
        let requests: RawStatement
        let restStatements: RawStatement

        init(_ db: Database) throws {
            let select = """
                SELECT a.app_id, a.state, a.finish_time, a.vcore_seconds, a.memory_seconds, a.queue, a.file_id, a.line,
                  (SELECT user FROM yarn_audit k WHERE k.app_id = a.app_id AND k.operation = 'Kill Application Request'
                     AND k.result = 'SUCCESS' ORDER BY k.at LIMIT 1) AS killed_by, a.final_status
                FROM yarn_app a
                """
            appByID = RawStatement(try db.makeStatement(sql: select + " WHERE a.app_id = ?"))
            clusterApps = RawStatement(try db.makeStatement(sql: select + " WHERE a.cluster_id IS ?"))
            clusterRequestKeys = RawStatement(
                try db.makeStatement(
                    sql: """
                        SELECT DISTINCT session_type, session_id FROM livy_request WHERE cluster_id IS ?
                        """))
            clusterStatementSessions = RawStatement(
                try db.makeStatement(
                    sql: """
                        SELECT DISTINCT session_id FROM livy_statement WHERE cluster_id IS ?
                        """))
            clusterContainerPeaks = RawStatement(try db.makeStatement(sql: SessionDeriver.clusterContainerRowsSQL))
            // Tags are sorted and comma-joined; match a whole tag, in any case (lower-cased from 0.9).
            appByTag = RawStatement(
                try db.makeStatement(
                    sql: select + """
                         WHERE a.cluster_id IS ? AND coalesce(a.submit_time, a.start_time) BETWEEN ? AND ?
                           AND (',' || lower(a.application_tags)) LIKE ? ESCAPE '\\'
                         ORDER BY a.start_time LIMIT 1
                        """))
            appByName = RawStatement(
                try db.makeStatement(
                    sql: select + """
                         WHERE a.cluster_id IS ? AND coalesce(a.submit_time, a.start_time) BETWEEN ? AND ?
                           AND a.name = ?
                         ORDER BY a.start_time LIMIT 1
                        """))
            requests = RawStatement(
                try db.makeStatement(
                    sql: """
                        SELECT at, action, status, file_id, line FROM livy_request
                        WHERE cluster_id IS ? AND session_type = ? AND session_id = ? AND at >= ? AND at < ?
                        ORDER BY at
                        """))
            restStatements = RawStatement(
                try db.makeStatement(
                    sql: """
                        SELECT DISTINCT statement_id, started, completed FROM livy_statement
                        WHERE cluster_id IS ? AND session_id = ? AND started >= ? AND started < ?
                        """))
        }
    }

    /// The app on the row `statement` stands on (a `Statements` app select).
    static func app(_ statement: RawStatement) -> App? {
        guard let id = statement.text(0) else { return nil }
        return App(
            id: id, state: statement.text(1), finalStatus: statement.text(9),
            finish: statement.text(2).flatMap(seconds),
            vcoreSeconds: statement.integer(3), memorySeconds: statement.integer(4), queue: statement.text(5),
            killedBy: statement.text(8), evidence: "yarn_app \(statement.integer(6) ?? 0):\(statement.integer(7) ?? 0)")
    }

    /// A stored Livy request of a session.
    struct Request {
        var at: String
        var action: String
        var status: Int64
        var fileID: Int64
        var line: Int64

        /// The row `Statements.requests` stands on.
        init(_ row: RawStatement) {
            at = row.text(0) ?? ""
            action = row.text(1) ?? ""
            status = row.integer(2) ?? 0
            fileID = row.integer(3) ?? 0
            line = row.integer(4) ?? 0
        }
    }

    /// A statement of a session from a saved REST answer.
    struct RestStatement {
        var id: Int64
        var started: String?
        var completed: String?

        /// The row `Statements.restStatements` stands on.
        init(_ row: RawStatement) {
            id = row.integer(0) ?? 0
            started = row.text(1)
            completed = row.text(2)
        }
    }

    /// What one cluster's staging rows hold, read once before its sessions are finished rather than
    /// asked for each session (benchmarks/NOTES.md, `SessionDeriver`): the cluster's apps by id,
    /// and which sessions have stored requests or REST statements.
    ///
    /// Each only spares a query whose answer it already knows: an app id it lacks is still looked
    /// up (an app is found by id on any cluster), and a session it lists is queried.
    struct ClusterLookups {
        var apps: [String: App] = [:]
        var requestKeys = Set<RequestKey>()
        var statementSessions = Set<Int64>()
        /// The most containers and vCores each app held (``containerPeaks(_:)``).
        var containerPeaks: [String: (containers: Int64, vcores: Int64?)] = [:]

        struct RequestKey: Hashable {
            var type: String
            var id: Int64
        }

        init(_ db: Database, _ statements: Statements, clusterID: String) throws {
            let cluster: [SQLValue] = [.optionalText(storedClusterID(clusterID))]
            func each(_ statement: RawStatement, _ body: (RawStatement) -> Void) throws {
                statement.reset()
                defer { statement.reset() }
                try statement.bind(cluster)
                while try statement.step() { body(statement) }
            }
            try each(statements.clusterApps) { r in
                if let app = SessionDeriver.app(r) { apps[app.id] = app }
            }
            try each(statements.clusterRequestKeys) { r in
                if let type = r.text(0), let id = r.integer(1) { requestKeys.insert(RequestKey(type: type, id: id)) }
            }
            try each(statements.clusterStatementSessions) { r in
                if let id = r.integer(0) { statementSessions.insert(id) }
            }
            statements.clusterContainerPeaks.reset()
            defer { statements.clusterContainerPeaks.reset() }
            try statements.clusterContainerPeaks.bind(cluster)
            containerPeaks = try SessionDeriver.containerPeaks(statements.clusterContainerPeaks)
        }
    }

    /// The session's YARN application: by the ready line's app id, else by the Livy tag, else by
    /// the default app name, within the session's life on its cluster.
    static func application(
        _ statements: Statements, _ found: ClusterLookups, _ b: inout Build, until end: Int64
    ) throws -> App? {
        /// The app of `statement`'s first row, if it has one.
        func first(_ statement: RawStatement, _ arguments: [SQLValue]) throws -> App? {
            statement.reset()
            defer { statement.reset() }
            try statement.bind(arguments)
            guard try statement.step() else { return nil }
            return SessionDeriver.app(statement)
        }
        if let id = b.appID { return try found.apps[id] ?? first(statements.appByID, [.text(id)]) }
        let window: [SQLValue] = [
            .optionalText(storedClusterID(b.clusterID)), .text(isoMillis(b.created - 60)), .text(isoMillis(end + 60)),
        ]
        let prefix = b.type == "batch" ? "livy-batch-\(b.id)-" : "livy-session-\(b.id)-"
        var app = try first(
            statements.appByTag, window + [.text(("%," + prefix + "%").replacingOccurrences(of: "_", with: "\\_"))])
        if app != nil { b.appLink = "tag" }
        if app == nil, b.type == "interactive" {
            app = try first(statements.appByName, window + [.text("livy-session-\(b.id)")])
            if app != nil { b.appLink = "name" }
        }
        if let app { b.appID = app.id }
        return app
    }
}
