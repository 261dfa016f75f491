/// The rows one parser produced for one staging table, flat and in input order.
///
/// Every row carries its provenance: the line (or record index) it came from. The store adds
/// the input file id, so every stored row can be traced to `file:line`.
///
/// The values are kept encoded one after another in one byte buffer (a tag byte; then 8 bytes
/// of an integer or a real, or 8 bytes of length and the UTF-8 of a text), not as `SQLValue`s:
/// a piece of 4,096 Livy events held some ten thousand separately allocated strings, which the
/// writer thread then bound one by one and freed, on the one serial stage (benchmarks/NOTES.md,
/// `TableBatch`). The writer binds the encoded texts in place (``Cells``).
public struct TableBatch: Sendable, Equatable {
    /// The staging table, for example `yarn_app`.
    public let table: String
    /// The columns each row fills, in order; `file_id` and `line` are added by the store.
    public let columns: [String]
    /// The column whose value names a row wherever it was read (``StagingTable/naturalKey``).
    public let naturalKey: String?
    /// The line (or record index) of each row, 1-based.
    public private(set) var lines: [Int] = []
    /// The rows' values, encoded (see above), row after row.
    private var encoded: [UInt8] = []
    /// Where each row starts in `encoded`.
    private var starts: [Int] = []

    private enum Tag: UInt8 {
        case null = 0
        case integer, real, text
    }

    public init(table: String, columns: [String]) {
        self.table = table
        self.columns = columns
        naturalKey = nil
    }

    /// An empty batch of the staging table `table`.
    public init(_ table: StagingTable) {
        self.table = table.name
        columns = table.columns
        naturalKey = table.naturalKey
    }

    public var rowCount: Int { lines.count }

    /// The memory the rows hold, in bytes (their encoding, and a line number and start each).
    public var byteCount: Int { encoded.count + 2 * lines.count * MemoryLayout<Int>.stride }

    /// Appends one row; `row.count` must equal `columns.count`.
    public mutating func append(line: Int, _ row: [SQLValue]) {
        precondition(row.count == columns.count, "\(table): \(row.count) values for \(columns.count) columns")
        // The row's bytes are counted, made room for at once and written in place, not appended
        // a tag, word and text at a time. The values are read where they are
        // (`withUnsafeBufferPointer`, texts through their UTF-8 view): `for value in row` and a
        // `var` copy for `withUTF8` retained and released every text, twice (benchmarks/NOTES.md,
        // `TableBatch.append`).
        row.withUnsafeBufferPointer { values in
            var size = 0
            for i in values.indices {
                switch values[i] {
                case .null: size += 1
                case .integer, .real: size += 9
                case .text(let s): size += 9 + s.utf8.count
                }
            }
            let start = encoded.count
            starts.append(start)
            encoded.append(contentsOf: repeatElement(0, count: size))
            encoded.withUnsafeMutableBytes { buffer in
                var at = start
                func word(_ w: UInt64) {
                    buffer.storeBytes(of: w.littleEndian, toByteOffset: at, as: UInt64.self)
                    at += 8
                }
                for i in values.indices {
                    switch values[i] {
                    case .null:
                        buffer[at] = Tag.null.rawValue
                        at += 1
                    case .integer(let v):
                        buffer[at] = Tag.integer.rawValue
                        at += 1
                        word(UInt64(bitPattern: v))
                    case .real(let d):
                        buffer[at] = Tag.real.rawValue
                        at += 1
                        word(d.bitPattern)
                    case .text(let s):
                        buffer[at] = Tag.text.rawValue
                        at += 1
                        let count = s.utf8.count
                        word(UInt64(count))
                        let destination = UnsafeMutableRawBufferPointer(rebasing: buffer[at..<(at + count)])
                        if s.utf8.withContiguousStorageIfAvailable({
                            destination.copyMemory(from: UnsafeRawBufferPointer($0))
                        }) == nil {
                            destination.copyBytes(from: s.utf8)  // a string not stored as UTF-8 (bridged)
                        }
                        at += count
                    }
                }
                precondition(at == start + size, "\(table): a row's size was miscounted")
            }
        }
        lines.append(line)
    }

    /// Hands over the rows held so far and starts empty again (a large file is stored in pieces).
    public mutating func take() -> TableBatch {
        let out = self
        encoded.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lines.removeAll(keepingCapacity: true)
        return out
    }

    /// The values of row `index`.
    public func row(_ index: Int) -> [SQLValue] {
        withCells { cells in
            var out: [SQLValue] = []
            out.reserveCapacity(columns.count)
            cells.forEach(row: index) { cell in
                switch cell {
                case .null: out.append(.null)
                case .integer(let i): out.append(.integer(i))
                case .real(let d): out.append(.real(d))
                case .text(let bytes): out.append(.text(String(decoding: bytes, as: UTF8.self)))
                }
            }
            return out
        }
    }

    /// Calls `body` with the rows' values as they are stored, texts as their bytes; the bytes
    /// are valid during the call only.
    public func withCells<R>(_ body: (Cells) throws -> R) rethrows -> R {
        try encoded.withUnsafeBytes { try body(Cells(bytes: $0, starts: starts, width: columns.count)) }
    }

    /// One value as stored.
    public enum Cell {
        case null
        case integer(Int64)
        case real(Double)
        case text(UnsafeRawBufferPointer)
    }

    /// The stored values of a batch, read in place (``withCells(_:)``).
    public struct Cells {
        fileprivate let bytes: UnsafeRawBufferPointer
        fileprivate let starts: [Int]
        fileprivate let width: Int

        /// Calls `body` with each value of row `row`, in column order.
        public func forEach(row: Int, _ body: (Cell) throws -> Void) rethrows {
            var at = starts[row]
            for _ in 0..<width {
                let (cell, next) = self.cell(at: at)
                try body(cell)
                at = next
            }
        }

        /// The value encoded at `at`, and where the next one starts.
        private func cell(at: Int) -> (Cell, Int) {
            let word = { (offset: Int) in
                UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            }
            switch Tag(rawValue: bytes[at]) {
            case .null:
                return (.null, at + 1)
            case .integer:
                return (.integer(Int64(bitPattern: word(at + 1))), at + 9)
            case .real:
                return (.real(Double(bitPattern: word(at + 1))), at + 9)
            case .text:
                let count = Int(word(at + 1))
                return (.text(UnsafeRawBufferPointer(rebasing: bytes[(at + 9)..<(at + 9 + count)])), at + 9 + count)
            case nil:
                preconditionFailure("TableBatch: a value's tag is \(bytes[at])")
            }
        }
    }
}
