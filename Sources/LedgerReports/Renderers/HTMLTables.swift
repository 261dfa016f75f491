import Foundation
import LedgerModel

/// The tables of `report.html`, and the evidence their cells cite.
///
/// A finding's evidence is a log file and line (`path:line`) or a CloudTrail `eventID`. In the
/// HTML each becomes a link to the report's evidence appendix (`#file-<path>`,
/// `#event-<eventID>`), which lists every file and event cited, so a link never points at
/// nothing even when a table shows only its first rows. Anchors are made of the path itself,
/// never of row ids, which depend on the order files were ingested in.
struct EvidenceIndex: Sendable {
    /// Every input file's path.
    let paths: Set<String>

    /// The columns whose cells cite evidence.
    static let columns: Set<String> = ["evidence", "end_evidence", "user_evidence", "event_id"]

    /// The ledger's files; none when it has no `input_file` table (a ledger of reports only).
    static func load(_ ledger: ReadOnlyLedger) -> EvidenceIndex {
        var paths = Set<String>()
        for row in (try? QueryRunner.run(sql: "SELECT path FROM input_file", on: ledger).rows) ?? [] {
            if case .text(let path) = row[0] { paths.insert(path) }
        }
        return EvidenceIndex(paths: paths)
    }

    /// The appendix row's id for a file: its path, with every character that could end an
    /// attribute or a URL fragment written as `~` and its hex code (so two paths never share one).
    static func anchor(_ path: String) -> String {
        var out = "file-"
        for scalar in path.unicodeScalars {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".", "/", ":": out.unicodeScalars.append(scalar)
            default: out += "~" + String(scalar.value, radix: 16) + "~"
            }
        }
        return out
    }

    /// What a cell cites.
    struct Citations: Sendable {
        var files = Set<String>()
        var events = Set<String>()

        mutating func formUnion(_ other: Citations) {
            files.formUnion(other.files)
            events.formUnion(other.events)
        }
    }

    /// A piece of evidence a finding cites.
    enum Piece: Equatable {
        case event(String)
        case file(path: String, line: String?)
    }

    /// A piece of evidence and where its text stands in the evidence.
    struct Cited {
        var range: Range<String.Index>
        var piece: Piece
    }

    /// The CloudTrail events and log files (with their lines) that `text` cites, in its order.
    ///
    /// An event is the token after `eventID`; a file is a token that is a path of the ledger,
    /// or one with `:<line>` after it. Tokens are separated by spaces and may end in `;` or `,`.
    ///
    /// Read on its bytes: this runs for every finding, and a year can have hundreds of
    /// thousands. `cache` keeps the last path found: a run of findings usually cites one file,
    /// whose `path:line` is then known without looking the path up again.
    func cited(_ text: String, cache: inout String?) -> [Cited] {
        var out: [Cited] = []
        var previousWasEventID = false
        let utf8 = text.utf8
        var start = utf8.startIndex
        while start < utf8.endIndex {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: " ")) ?? utf8.endIndex
            if start < end {
                let token = text[start..<end]
                let core = Self.core(token)
                let range = start..<utf8.index(start, offsetBy: core.utf8.count)
                if let cached = cache, core.utf8.count > cached.utf8.count + 1, core.utf8.starts(with: cached.utf8),
                    core.utf8.dropFirst(cached.utf8.count).first == UInt8(ascii: ":"),
                    core.utf8.dropFirst(cached.utf8.count + 1).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                {
                    out.append(
                        Cited(
                            range: range,
                            piece: .file(path: cached, line: String(core.utf8.dropFirst(cached.utf8.count + 1))!)))
                } else if previousWasEventID, Self.isEventID(core) {
                    out.append(Cited(range: range, piece: .event(core)))
                } else if paths.contains(core) {
                    out.append(Cited(range: range, piece: .file(path: core, line: nil)))
                } else {
                    let path = Self.withoutLine(core)
                    if path.utf8.count != core.utf8.count, paths.contains(path) {
                        out.append(
                            Cited(
                                range: range,
                                piece: .file(path: path, line: String(core.utf8.dropFirst(path.utf8.count + 1))!)))
                        cache = path
                    }
                }
                previousWasEventID = token == "eventID"
            }
            start = end == utf8.endIndex ? end : utf8.index(after: end)
        }
        return out
    }

    /// ``cited(_:cache:)`` without the places.
    func pieces(_ text: String, cache: inout String?) -> [Piece] { cited(text, cache: &cache).map(\.piece) }

    func pieces(_ text: String) -> [Piece] {
        var cache: String?
        return pieces(text, cache: &cache)
    }

    /// A cell's text cut into plain parts and links (the pieces ``cited(_:cache:)`` finds), and
    /// what it cites.
    func parts(_ text: String, column: String) -> (parts: [[String: Any]], cites: Citations) {
        var cites = Citations()
        guard Self.columns.contains(column), !text.isEmpty else { return ([["text": text, "href": false]], cites) }
        if column == "event_id" {
            guard Self.isEventID(text) else { return ([["text": text, "href": false]], cites) }
            cites.events.insert(text)
            return ([["text": text, "href": "#event-" + text]], cites)
        }
        var parts: [[String: Any]] = []
        var cache: String?
        var plainStart = text.startIndex
        for cited in cited(text, cache: &cache) {
            if plainStart < cited.range.lowerBound {
                parts.append(["text": String(text[plainStart..<cited.range.lowerBound]), "href": false])
            }
            let href: String
            switch cited.piece {
            case .event(let id):
                cites.events.insert(id)
                href = "#event-" + id
            case .file(let path, _):
                cites.files.insert(path)
                href = "#" + Self.anchor(path)
            }
            parts.append(["text": String(text[cited.range]), "href": href])
            plainStart = cited.range.upperBound
        }
        if plainStart < text.endIndex { parts.append(["text": String(text[plainStart...]), "href": false]) }
        return (parts, cites)
    }

    /// A token of evidence without the `;` or `,` after it (bytes: this runs for every finding).
    static func core(_ token: Substring) -> String {
        var end = token.utf8.endIndex
        while end > token.utf8.startIndex {
            let before = token.utf8.index(before: end)
            guard token.utf8[before] == UInt8(ascii: ";") || token.utf8[before] == UInt8(ascii: ",") else { break }
            end = before
        }
        return String(token[token.startIndex..<end])
    }

    /// `path:123` without its `:123` (on bytes, as ``core(_:)``).
    static func withoutLine(_ token: String) -> String {
        let utf8 = token.utf8
        guard let colon = utf8.lastIndex(of: UInt8(ascii: ":")), utf8.index(after: colon) < utf8.endIndex,
            utf8[utf8.index(after: colon)...].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return token }
        return String(token[..<colon])
    }

    /// CloudTrail event ids are UUIDs; anything else of letters, digits, `-` and `_` is let through
    /// (other services' ids), nothing that could leave an HTML attribute or a URL fragment.
    static func isEventID(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128
            && s.unicodeScalars.allSatisfy {
                ($0.value >= 0x30 && $0.value <= 0x39) || ($0.value >= 0x41 && $0.value <= 0x5A)
                    || ($0.value >= 0x61 && $0.value <= 0x7A) || $0 == "-" || $0 == "_"
            }
    }

    /// Runs `sql` once per 500 of `values`, bound as `:v0`, `:v1`, … in place of `$VALUES`.
    static func rows(_ sql: String, _ values: [String], on ledger: ReadOnlyLedger) -> [[SQLValue]] {
        var out: [[SQLValue]] = []
        for start in stride(from: 0, to: values.count, by: 500) {
            let chunk = values[start..<min(start + 500, values.count)]
            var arguments: [String: String] = [:]
            for (i, v) in chunk.enumerated() { arguments["v\(i)"] = v }
            let names = chunk.indices.map { ":v\($0 - start)" }.joined(separator: ", ")
            // A ledger without the table (reports of a hand-made one) cites nothing there.
            out +=
                (try? QueryRunner.run(
                    sql: sql.replacingOccurrences(of: "$VALUES", with: names), on: ledger, arguments: arguments
                ).rows)
                ?? []
        }
        return out
    }

    /// The evidence appendix: every cited file and CloudTrail event, in a stable order.
    func appendix(_ cites: Citations, ledger: ReadOnlyLedger) -> [String: Any] {
        var files: [[String: Any]] = []
        for r in Self.rows(
            """
            SELECT path, coalesce(format, ''), status, records, rejected, coalesce(detail, '')
            FROM input_file WHERE path IN ($VALUES)
            """, cites.files.sorted(), on: ledger)
        {
            let path = SVGChart.text(r[0])
            files.append([
                "anchor": Self.anchor(path), "path": path, "format": SVGChart.text(r[1]), "status": SVGChart.text(r[2]),
                "records": SVGChart.text(r[3]), "rejected": SVGChart.text(r[4]), "detail": SVGChart.text(r[5]),
            ])
        }
        files.sort { ($0["path"] as? String ?? "") < ($1["path"] as? String ?? "") }
        var events: [[String: Any]] = []
        var found = Set<String>()
        for r in Self.rows(
            """
            SELECT e.event_id, e.event_time, coalesce(e.event_source, ''), coalesce(e.event_name, ''),
                   coalesce(e.identity_arn, e.user_name, ''), coalesce(e.on_behalf_of_user_id, ''),
                   f.path || ':' || e.line
            FROM ct_event e JOIN input_file f ON f.id = e.file_id
            WHERE e.event_id IN ($VALUES)
            """, cites.events.sorted(), on: ledger)
        {
            let id = SVGChart.text(r[0])
            found.insert(id)
            events.append([
                "id": id, "time": String(SVGChart.text(r[1]).prefix(19)) + "Z", "source": SVGChart.text(r[2]),
                "name": SVGChart.text(r[3]), "identity": SVGChart.text(r[4]), "on_behalf_of": SVGChart.text(r[5]),
                "file": SVGChart.text(r[6]),
            ])
        }
        for id in cites.events where !found.contains(id) {
            events.append([
                "id": id, "time": "", "source": "", "name": "(not in the ledger)", "identity": "", "on_behalf_of": "",
                "file": "",
            ])
        }
        events.sort { ($0["id"] as? String ?? "") < ($1["id"] as? String ?? "") }
        return ["files": files, "events": events, "any": !files.isEmpty || !events.isEmpty]
    }
}

/// A report's rows as the HTML table's context.
enum HTMLTable {
    static func context(
        columns: [String], rows: [[SQLValue]], total: Int, evidence: EvidenceIndex
    ) -> (context: [String: Any], cites: EvidenceIndex.Citations) {
        var cites = EvidenceIndex.Citations()
        var out: [[String: Any]] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            var cells: [[String: Any]] = []
            cells.reserveCapacity(row.count)
            for (column, value) in zip(columns, row) {
                // Every key the template asks of a cell is there (false when it does not apply):
                // Mustache looks a missing key up in every enclosing context, row by row.
                let text = CellFormat.csvCell(value, column: column)
                let number: Bool
                switch value {
                case .integer, .real: number = true
                default: number = false
                }
                if EvidenceIndex.columns.contains(column) {
                    let (parts, cited) = evidence.parts(text, column: column)
                    cites.formUnion(cited)
                    cells.append(["text": text, "num": number, "linked": true, "parts": parts])
                } else {
                    cells.append(["text": text, "num": number, "linked": false])
                }
            }
            out.append(["cells": cells])
        }
        return (
            [
                "columns": columns, "rows": out, "shown": rows.count, "total": total, "cut": total > rows.count,
                "empty": total == 0,
            ], cites
        )
    }
}
