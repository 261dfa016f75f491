import GRDB
import LedgerPipeline
import LedgerStore
import LedgerTestSupport

// Ledgers built by a real ingest, for the tests of the stages after it (derive, reports).

/// Files under a fresh directory (paths relative to it, `logs/…` for the inputs), ingested with the
/// config text given (relative paths in it are relative to the directory).
///
/// The directory is the caller's to remove, or removed when the tests exit (`shared`).
public func ingestFiles(_ files: [String: String], config: String = "", shared: Bool = false) async throws -> (
    TemporaryDirectory, [Row]
) {
    let dir = shared ? try TemporaryDirectory.removedAtExit("ledger-dialect") : try TemporaryDirectory("ledger-dialect")
    for (path, text) in files { try dir.write(path, text) }
    let configuration = try Configuration.parse(config, path: dir.path + "/c.toml")
    let store = try LedgerStore(path: dir.path + "/l.sqlite")
    _ = try await Ingestor(store: store, configuration: configuration, workers: 1).ingest([
        Configuration.Input(path: dir.path + "/logs")
    ])
    let rows = try DatabaseQueue(path: dir.path + "/l.sqlite").read { db in
        try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY session_key")
    }
    return (dir, rows)
}

/// A cluster made of the given files (relative to its node's `applications/` folder), ingested
/// with the default config.
public func ingestCluster(_ files: [String: String]) async throws -> (TemporaryDirectory, [Row]) {
    var placed: [String: String] = [:]
    for (path, text) in files { placed["logs/j-EDGECLUSTER1/node/i-0c0c0c0c0c0c0c0c3/applications/" + path] = text }
    return try await ingestFiles(placed)
}
