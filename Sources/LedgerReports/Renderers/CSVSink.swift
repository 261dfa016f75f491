import Foundation
import LedgerModel
import LedgerSQLite

/// A report CSV written as its rows come, to a temporary name renamed into place at the end (a
/// reader never sees half a file), in CellFormat's format: CRLF line ends, RFC 4180 quoting.
///
/// A struct used as a local variable, so that appending bytes carries no exclusivity checks, as it
/// does on a class's buffer (benchmarks/NOTES.md, `CSVSink`).
struct CSVSink {
    let path: String
    private let temporary: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []

    init(path: String) throws(LedgerError) {
        self.path = path
        temporary = path + ".partial"
        guard let file = fopen(temporary, "wb") else {
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
        self.file = file
        buffer.reserveCapacity(1 << 20 + 4096)
    }

    mutating func header(_ columns: [String]) {
        buffer += (columns.map(CellFormat.csvField).joined(separator: ",") + "\r\n").utf8
    }

    /// One row, cell by cell into bytes, as ``CellFormat/csvCell(_:column:)`` and
    /// ``CellFormat/csvField(_:)`` write them (a test holds the two to the same bytes).
    mutating func row(_ row: RawRow) throws(LedgerError) {
        for i in 0..<row.count {
            if i > 0 { buffer.append(0x2C) }
            switch row.kind(i) {
            case .null: break
            case .integer: appendDecimal(row.integer(i))
            case .real: CellFormat.appendFixed(row.real(i), decimals: 4, to: &buffer)
            case .text: appendText(row.text(i))
            case .blob: buffer += CellFormat.csvField(CellFormat.csvCell(row.value(i), column: "")).utf8
            }
        }
        buffer.append(0x0D)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private mutating func appendDecimal(_ v: Int64) {
        if v < 0 { buffer.append(0x2D) }
        CellFormat.appendDigits(v.magnitude, minimumCount: 1, to: &buffer)
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
    private mutating func appendText(_ text: UnsafeRawBufferPointer) {
        let needsQuotes = text.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            buffer += text
            return
        }
        buffer.append(0x22)
        for c in text {
            buffer.append(c)
            if c == 0x22 { buffer.append(0x22) }
        }
        buffer.append(0x22)
    }

    private mutating func flush() throws(LedgerError) {
        let ok = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
        buffer.removeAll(keepingCapacity: true)
        guard ok else {
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes what is left and puts the file in place.
    mutating func finish() throws(LedgerError) {
        try flush()
        guard fclose(file) == 0 else {
            unlink(temporary)
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
    }

    /// The query failed: no file is left behind.
    func abandon() {
        fclose(file)
        unlink(temporary)
    }
}
