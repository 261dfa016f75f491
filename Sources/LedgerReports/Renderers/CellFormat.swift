import Foundation
import LedgerModel

/// How values are written: money (`*_usd`) with 4 decimals in CSV and 2 in Markdown (SPEC §5),
/// other fractions with 4 and 2; NULL as nothing.
public enum CellFormat {
    public static func csvCell(_ value: SQLValue, column: String) -> String {
        switch value {
        case .null: ""
        case .integer(let i): String(i)
        case .real(let d): fixed(d, decimals: 4)
        case .text(let s): s
        }
    }

    /// `d` with `decimals` digits after the point, exactly as C's `%.Nf` writes it.
    public static func fixed(_ d: Double, decimals: Int) -> String {
        var bytes: [UInt8] = []
        appendFixed(d, decimals: decimals, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]

    /// Appends `d` as C's `%.Nf` writes it (round half to even on the exact binary value, `-` kept
    /// on negative zero).
    ///
    /// A year of sessions has millions of money cells, and C's own printf through Swift's
    /// `withVaList` is slow for them (benchmarks/NOTES.md, `appendFixed`); so the usual case is
    /// done here, by integers, and only what it cannot decide goes to `vsnprintf`: `|d|·10^N` is
    /// rounded once by the multiplication (by at most half its ulp), so unless its fraction lies
    /// within an ulp of one half, rounding it gives the digits C would write.
    public static func appendFixed(_ d: Double, decimals: Int, to out: inout [UInt8]) {
        if d.isFinite, decimals >= 0, decimals < powersOfTen.count {
            let scaled = d.magnitude * powersOfTen[decimals]
            if scaled < 0x1p52 {
                let whole = scaled.rounded(.down)
                let fraction = scaled - whole  // exact: both below 2^52
                if abs(fraction - 0.5) > scaled.ulp {
                    let n = UInt64(whole) + (fraction > 0.5 ? 1 : 0)
                    var unit: UInt64 = 1
                    for _ in 0..<decimals { unit *= 10 }
                    if d.sign == .minus { out.append(0x2D) }
                    appendDigits(n / unit, minimumCount: 1, to: &out)
                    if decimals > 0 {
                        out.append(0x2E)
                        appendDigits(n % unit, minimumCount: decimals, to: &out)
                    }
                    return
                }
            }
        }
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 350) { buffer in
            let n = withVaList([d]) { vsnprintf(buffer.baseAddress!, buffer.count, "%.\(decimals)f", $0) }
            out += UnsafeRawBufferPointer(
                start: buffer.baseAddress!, count: Int(max(0, min(n, Int32(buffer.count - 1)))))
        }
    }

    /// The decimal digits of `v`, zero-padded on the left to `minimumCount`.
    static func appendDigits(_ v: UInt64, minimumCount: Int, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for UInt64.max's 20 digits
        withUnsafeMutableBytes(of: &digits) { d in
            var n = 0
            var m = v
            repeat {
                d[n] = UInt8(0x30 + m % 10)
                m /= 10
                n += 1
            } while m > 0
            while n < minimumCount && n < d.count {
                d[n] = 0x30
                n += 1
            }
            for k in stride(from: n - 1, through: 0, by: -1) { out.append(d[k]) }
        }
    }

    public static func markdownCell(_ value: SQLValue, column: String) -> String {
        switch value {
        case .null: ""
        case .integer(let i): String(i)
        case .real(let d): fixed(d, decimals: 2)
        case .text(let s): s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
        }
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
    public static func csvField(_ s: String) -> String {
        // On the UTF-8 bytes: every cell of every report passes here.
        s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A report CSV: lines end in CRLF, values formatted by ``csvCell(_:column:)``.
    public static func csv(_ table: ResultTable) -> String {
        var out = table.columns.map(csvField).joined(separator: ",") + "\r\n"
        for row in table.rows {
            for (i, value) in row.enumerated() {
                if i > 0 { out += "," }
                out += csvField(csvCell(value, column: table.columns[i]))
            }
            out += "\r\n"
        }
        return out
    }

    public static func markdown(_ table: ResultTable) -> String {
        var out = "| " + table.columns.joined(separator: " | ") + " |\n"
        out += "|" + table.columns.map { _ in " --- |" }.joined() + "\n"
        for row in table.rows {
            out += "| " + zip(table.columns, row).map { markdownCell($1, column: $0) }.joined(separator: " | ") + " |\n"
        }
        return out
    }
}
