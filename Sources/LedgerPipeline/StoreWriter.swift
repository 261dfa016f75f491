import LedgerModel
import LedgerStore

/// The single writer: stores each read file, in input order, as ``CopyDetector`` decides.
struct StoreWriter {
    let store: LedgerStore
    var copies: CopyDetector
    var storedAnything = false
    /// The reports of the files an extract's part files held (``ExtractReader``), in the order
    /// stored.
    var heldReports: [FileReport] = []

    init(store: LedgerStore, copies: CopyDetector) {
        self.store = store
        self.copies = copies
    }

    /// Stores the file whose messages `receive` gives.
    ///
    /// Its rows go into the store as they come, in the file's one savepoint; a file that turns out,
    /// at its end, to be stored already (touched, copied, rotated and gzipped) is rolled back and
    /// recorded as such.
    ///
    /// The files an extract's part file holds come first, each stored as a file of its own (its
    /// report in ``heldReports``), then the part file.
    mutating func write(path: String, receive: () -> FileMessage) throws(LedgerError) -> FileReport {
        var first = receive()
        while case .virtual(let held) = first {
            // As for a file on disk: rows an earlier parser made are replaced, bytes unchanged or not.
            if let known = copies.manifest[held], IngestPlan.readByEarlierParser(known) { copies.reread.insert(held) }
            heldReports.append(try write(path: held, receive: receive))
            first = receive()
        }
        guard case .reading(let appending) = first else {
            preconditionFailure("a file's first message is .reading")
        }
        var pieces = 0
        let streamed = try store.load(
            path: path, appending: appending,
            pieces: {
                // Asked for the next piece: the ones before it are written (uncommitted).
                if pieces > 0 { CrashPoint.reached(.afterPiece(pieces)) }
                switch receive() {
                case .rows(let batches):
                    pieces += 1
                    return .rows(batches)
                case .end(var load):
                    copies.finishing(&load)
                    return .end(load)
                case .reading, .virtual: preconditionFailure("a file began twice")
                }
            },
            keep: { copies.verdict($0) == .new })
        switch streamed {
        case .rolledBack(let load):
            return try write(load)
        case .stored(let outcome, let load):
            copies.stored(load, fileID: outcome.fileID)
            storedAnything = true
            return Self.report(load, outcome)
        }
    }

    /// Stores a file whose content is all in `load` (no rows, or few): one the store rolled back
    /// because it is not simply stored, or a file stored as read.
    mutating func write(_ load: FileLoad) throws(LedgerError) -> FileReport {
        var load = load
        copies.finishingWhole(&load)
        switch copies.verdict(load) {
        case .new:
            break
        case .unchanged(let known):
            // Touched, not changed: keep its rows, remember the new mtime.
            try store.touch(path: load.path, size: load.size, mtimeNanos: load.mtimeNanos)
            return FileReport(
                path: load.path, action: .unchanged, status: known.status, format: load.format,
                records: 0, duplicates: 0, rejected: 0, detail: nil)
        case .sameBytes(let other):
            load = Self.duplicate(of: load, detail: "same bytes as \(other)")
        case .sameContent(let other):
            load = Self.duplicate(of: load, detail: "same content as \(other)")
        case .rotated(let other):
            try store.move(
                from: other, to: load.path, size: load.size, mtimeNanos: load.mtimeNanos,
                sha256: load.sha256, compression: load.compression)
            copies.rotated(load)
            return FileReport(
                path: load.path, action: .moved, status: .ok, format: load.format,
                records: 0, duplicates: 0, rejected: 0, detail: "moved from \(other), compressed")
        }
        let outcome = try store.load(load)
        copies.stored(load, fileID: outcome.fileID)
        storedAnything = true
        return Self.report(load, outcome)
    }

    /// A copy: recorded under its path, with no rows.
    static func duplicate(of load: FileLoad, detail: String) -> FileLoad {
        FileLoad(
            path: load.path, size: load.size, mtimeNanos: load.mtimeNanos, sha256: load.sha256,
            format: load.format, compression: load.compression, status: .duplicate,
            context: load.context, lines: 0, detail: detail)
    }

    static func report(_ load: FileLoad, _ outcome: LoadOutcome) -> FileReport {
        FileReport(
            path: load.path,
            action: load.appendedAfterLine != nil ? .appended : (outcome.replaced ? .replaced : .loaded),
            status: load.status, format: load.format, records: outcome.records, duplicates: outcome.duplicates,
            rejected: load.rejected, detail: load.detail)
    }
}
