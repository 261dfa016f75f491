/// The rows one parser produced for one staging table, flat and in input order.
///
/// Every row carries its provenance: the line (or record index) it came from. The store adds
/// the input file id, so every stored row can be traced to `file:line`.
///
/// The values are kept encoded one after another in one byte buffer (a tag byte; then 8 bytes
/// of an integer or a real, or 8 bytes of length and the UTF-8 of a text), not as `SQLValue`s:
/// a piece of 4,096 Livy events held some 40,000 separately allocated strings, which the
/// writer thread then bound one by one and freed (allocation, reference counting and frees were
/// a fifth of the writer's time). The writer binds the encoded texts in place (``Cells``).
public struct TableBatch: Sendable, Equatable {
    /// The staging table, e.g. `yarn_app`.
    public let table: String
    /// The columns each row fills, in order; `file_id` and `line` are added by the store.
    public let columns: [String]
    /// The line (or record index) of each row, 1-based.
    public private(set) var lines: [Int] = []
    /// The rows' values, encoded (see above), row after row.
    private var encoded: [UInt8] = []
    /// Where each row starts in `encoded`.
    private var starts: [Int] = []

    private enum Tag: UInt8 {
        case null = 0, integer, real, text
    }

    public init(table: String, columns: [String]) {
        self.table = table
        self.columns = columns
    }

    public var rowCount: Int { lines.count }

    /// The memory the rows hold, in bytes (their encoding, and a line number and start each).
    public var byteCount: Int { encoded.count + 2 * lines.count * MemoryLayout<Int>.stride }

    /// Appends one row; `row.count` must equal `columns.count`.
    public mutating func append(line: Int, _ row: [SQLValue]) {
        precondition(row.count == columns.count, "\(table): \(row.count) values for \(columns.count) columns")
        starts.append(encoded.count)
        for value in row {
            switch value {
            case .null:
                encoded.append(Tag.null.rawValue)
            case .integer(let i):
                encoded.append(Tag.integer.rawValue)
                append(UInt64(bitPattern: i))
            case .real(let d):
                encoded.append(Tag.real.rawValue)
                append(d.bitPattern)
            case .text(var s):
                s.withUTF8 { utf8 in
                    encoded.append(Tag.text.rawValue)
                    append(UInt64(utf8.count))
                    encoded.append(contentsOf: utf8)
                }
            }
        }
        lines.append(line)
    }

    private mutating func append(_ word: UInt64) {
        withUnsafeBytes(of: word.littleEndian) { encoded.append(contentsOf: $0) }
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
            let word = { (offset: Int) in UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
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
