import Foundation
import LedgerModel

/// The geometry of a chart of `report.html`: axes, ticks, lines and bars, as numbers and
/// labels for the template to draw as inline SVG.
///
/// Drawn from the query's rows, with no script and no library: the file must open from an
/// e-mail attachment, print, and show the same picture with scripts off. Every data point is an
/// element of its own (a circle, or a bar) carrying its series, x and y, which is what the
/// browser test counts.
struct SVGChart {
    enum Kind: String {
        case line, bar
    }

    var kind: Kind
    /// The x values, in order (categories: days, hours, users, timeouts).
    var xs: [String]
    /// Each series' name and its y per x (nil where the query had none).
    var series: [(name: String, ys: [Double?])]

    static let width = 720.0
    static let height = 280.0
    static let left = 64.0
    static let right = 16.0
    static let top = 16.0
    static let bottom = 48.0

    /// Rows of (series, x, y), as the `-- chart:` queries give them.
    init(kind: Kind, longRows table: ResultTable) {
        self.kind = kind
        var xs: [String] = []
        var seen = Set<String>()
        var names: [String] = []
        var values: [String: [String: Double]] = [:]
        for row in table.rows where row.count >= 3 {
            let s = Self.text(row[0])
            let x = Self.text(row[1])
            if seen.insert(x).inserted { xs.append(x) }
            if values[s] == nil { names.append(s) }
            values[s, default: [:]][x] = Self.number(row[2])
        }
        self.xs = xs
        series = names.map { name in (name, xs.map { values[name]?[$0] }) }
    }

    /// One row per x, one column per series (the `-- plot:` of a report: `x=` and `y=` name the
    /// columns).
    init?(kind: Kind, x: String, ys: [String], wideRows table: ResultTable) {
        guard let xi = table.columns.firstIndex(of: x) else { return nil }
        let yi = ys.compactMap { table.columns.firstIndex(of: $0) }
        guard yi.count == ys.count, !ys.isEmpty else { return nil }
        self.kind = kind
        xs = table.rows.map { Self.text($0[xi]) }
        series = zip(ys, yi).map { name, i in (name, table.rows.map { Self.numberOrNil($0[i]) }) }
    }

    /// The template's context: the frame, the y ticks, the x labels shown, and per series its
    /// line (`points`) and its data points (`marks`).
    var context: [String: Any] {
        let plotWidth = Self.width - Self.left - Self.right
        let plotHeight = Self.height - Self.top - Self.bottom
        // Values below 0 (a user's own query) sit on the axis: the charts here count and add up.
        let maximum = series.flatMap { $0.ys.compactMap { $0 } }.max() ?? 0
        let (top, step) = Self.niceScale(maximum)
        func y(_ v: Double) -> Double { Self.top + plotHeight - (top > 0 ? v / top * plotHeight : 0) }
        let n = max(xs.count, 1)
        // Lines put a point at each x's centre; bars share each x's band between the series.
        let band = plotWidth / Double(n)
        func xCentre(_ i: Int) -> Double { Self.left + band * (Double(i) + 0.5) }
        var yTicks: [[String: Any]] = []
        var tick = 0.0
        while tick <= top + step / 2, step > 0 {
            yTicks.append(["y": Self.format(y(tick)), "label": Self.label(tick)])
            tick += step
        }
        // At most 12 x labels, evenly spaced, the last one always.
        let every = max(1, Int((Double(xs.count) / 12).rounded(.up)))
        let xLabels: [[String: Any]] = xs.indices.filter { $0 % every == 0 || $0 == xs.count - 1 }.map {
            ["x": Self.format(xCentre($0)), "label": xs[$0]]
        }
        var out: [[String: Any]] = []
        for (si, s) in series.enumerated() {
            var points: [String] = []
            var marks: [[String: Any]] = []
            for (i, value) in s.ys.enumerated() {
                guard let value else { continue }
                let cy = y(max(value, 0))
                var mark: [String: Any] = [
                    "x": xs[i], "value": Self.label(value), "cx": Self.format(xCentre(i)), "cy": Self.format(cy),
                ]
                if kind == .bar {
                    let barWidth = band * 0.8 / Double(series.count)
                    let x0 = Self.left + band * Double(i) + band * 0.1 + barWidth * Double(si)
                    mark["rx"] = Self.format(x0)
                    mark["width"] = Self.format(max(barWidth - 1, 1))
                    mark["height"] = Self.format(Self.top + plotHeight - cy)
                }
                points.append("\(Self.format(xCentre(i))),\(Self.format(cy))")
                marks.append(mark)
            }
            out.append([
                "name": s.name, "index": si % 6, "points": points.joined(separator: " "), "marks": marks,
                "count": marks.count, "legend_y": Self.format(Self.top + 14 * Double(si) + 4),
            ])
        }
        return [
            "kind": kind.rawValue, "line": kind == .line, "bar": kind == .bar,
            "width": Self.format(Self.width), "height": Self.format(Self.height),
            "left": Self.format(Self.left), "right": Self.format(Self.width - Self.right),
            "top": Self.format(Self.top), "bottom": Self.format(Self.top + plotHeight),
            "x_label_y": Self.format(Self.top + plotHeight + 18),
            "legend_x": Self.format(Self.width - Self.right - 150),
            "y_ticks": yTicks, "x_labels": xLabels, "series": out,
            "points": out.reduce(0) { $0 + ($1["count"] as? Int ?? 0) }, "empty": xs.isEmpty,
        ]
    }

    /// A top of the axis at or above `maximum` and a step that divides it into at most 5
    /// (1, 2 or 5 times a power of ten).
    static func niceScale(_ maximum: Double) -> (top: Double, step: Double) {
        guard maximum > 0, maximum.isFinite else { return (1, 0.25) }
        let rough = maximum / 5
        let power = pow(10, floor(log10(rough)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= rough } ?? 10 * power
        return ((maximum / step).rounded(.up) * step, step)
    }

    /// Coordinates with at most two decimals (the same bytes on every run).
    static func format(_ v: Double) -> String {
        let s = String(format: "%.2f", v)
        return s.hasSuffix(".00") ? String(s.dropLast(3)) : s
    }

    /// A value as a label: whole numbers without decimals, others with up to four.
    static func label(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return CellFormat.fixed(v, decimals: 4)
    }

    static func text(_ v: SQLValue) -> String {
        switch v {
        case .text(let s): s
        case .integer(let i): String(i)
        case .real(let d): CellFormat.fixed(d, decimals: 4)
        case .null: ""
        }
    }

    static func number(_ v: SQLValue) -> Double { numberOrNil(v) ?? 0 }

    static func numberOrNil(_ v: SQLValue) -> Double? {
        switch v {
        case .integer(let i): Double(i)
        case .real(let d): d
        default: nil
        }
    }
}
