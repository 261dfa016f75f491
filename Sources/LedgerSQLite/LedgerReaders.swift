import GRDB
import LedgerModel

/// Opens read-only connections to a ledger that is deriving (the store's `derive`): each
/// sees what was committed before the derive began, whatever the derive writes meanwhile.
public struct LedgerReaders: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// A new read-only connection; one thread uses it, and closes it (lets it go) before the
    /// derive ends.
    public func open() throws(LedgerError) -> DatabaseQueue {
        var config = Configuration()
        config.readonly = true
        config.label = "session-ledger (derive reader)"
        do {
            return try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw .database(path: path, message: "cannot open a reader for the derive: \(error)")
        }
    }
}
