import Foundation
import LedgerModel

/// `yarn-app-list`: the saved output of `yarn application -list` (formats.md §2.5).
///
/// The applications YARN held at one moment: who held a shared cluster while others waited, and
/// Livy's `livy-session-N` apps still running after their session ended. The output names no
/// time, so each listing's time is, in order: a `date` line printed before it (a cron loop of
/// `date; yarn application -list`), a date and time in the file's name, or the file's mtime;
/// `listed_at_source` says which. A file may hold many listings. The CLI's own log lines
/// (`client.RMProxy: Connecting to ResourceManager…`, when stderr was saved too) are skipped.
public struct YarnAppListFormat: LogFormat {
    public static let name = "yarn-app-list"
    public static let summary =
        "Saved `yarn application -list` output: the applications YARN held at the time of listing"

    /// Recognised by the CLI's first line, `Total number of applications (…):N`, among the first
    /// lines (after any `date` and CLI log lines): no other tool writes it.
    public static func recognizes(_ head: HeadSample) -> Bool {
        head.lines.prefix(20).contains { $0.hasPrefix(totalPrefix) && $0.contains("):") }
    }

    /// The staging tables this format fills.
    public static var tables: [StagingTable] { [listingTable] }

    /// One row per application per listing.
    public static let listingTable = StagingTable(
        "yarn_app_listing",
        columns: [
            "cluster_id", "listed_at", "listed_at_source", "listed_states", "app_id", "name", "app_type", "user",
            "queue", "state", "final_state", "progress", "tracking_url",
        ])

    static let totalPrefix = "Total number of applications ("

    private var context: ParseContext
    private var tally = ParseTally()
    private var rows = TableBatch(listingTable)
    /// The time a `date` line gave, for the listing after it.
    private var dated: Int64?
    /// The listing being read: its time, how it is known, its states, and its count.
    private var listing: (millis: Int64, source: String, states: String?, line: Int, count: Int, seen: Int)?

    public init(context: ParseContext) {
        self.context = context
    }

    public mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer) {
        tally.sawLine()
        let line = String(decoding: bytes, as: UTF8.self)
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return }
        if trimmed.hasPrefix(Self.totalPrefix) {
            return begin(trimmed, line: lineNumber)
        }
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if fields.first == "Application-Id" { return }
        if fields.count >= 9, fields[0].hasPrefix("application_") {
            return row(fields, line: lineNumber, bytes: bytes)
        }
        if let time = ListingTime.dateLine(trimmed, clock: &context.clock) {
            dated = time
            return
        }
        if Self.isCLILogLine(trimmed) { return }
        tally.reject(line: lineNumber, reason: "yarn-app-list: not a line of `yarn application -list`", bytes: bytes)
    }

    /// `Total number of applications (application-types: [], states: [RUNNING, ACCEPTED] and tags: []):3`.
    private mutating func begin(_ text: String, line: Int) {
        closeListing()
        let count = text.split(separator: ":").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        var states: String?
        if let open = text.range(of: "states: [") {
            let rest = text[open.upperBound...]
            if let close = rest.firstIndex(of: "]") { states = String(rest[..<close]) }
        }
        let (millis, source): (Int64?, String)
        if let dated {
            (millis, source) = (dated, "line")
        } else if let named = ListingTime.fileName(context.path, clock: &context.clock) {
            (millis, source) = (named, "name")
        } else {
            (millis, source) = (context.modifiedNanos.map { $0 / 1_000_000 }, "mtime")
        }
        dated = nil
        guard let millis else {
            tally.reject(
                line: line, reason: "yarn-app-list: no time for this listing (no date line, name or mtime)",
                excerpt: text)
            return
        }
        tally.sawEvent(atMillis: millis)
        listing = (millis, source, states, line, count, 0)
    }

    private mutating func row(_ fields: [String], line: Int, bytes: UnsafeRawBufferPointer) {
        guard let current = listing else {
            tally.reject(
                line: line, reason: "yarn-app-list: an application before any `Total number of applications` line",
                bytes: bytes)
            return
        }
        // A name holding a tab spreads over several fields: the other eight are at the ends.
        let extra = fields.count - 9
        let name = fields[1...(1 + extra)].joined(separator: "\t")
        let rest = Array(fields[(2 + extra)...])
        let progress = Double(rest[5].hasSuffix("%") ? String(rest[5].dropLast()) : rest[5])
        rows.append(
            line: line,
            [
                .optionalText(context.input.clusterID), .text(UTCTime.iso8601(millis: current.millis)),
                .text(current.source), .optionalText(current.states), .text(fields[0]), .text(name), .text(rest[0]),
                .text(rest[1]), .text(rest[2]), .text(rest[3]), .text(rest[4]), progress.map { .real($0) } ?? .null,
                rest[6] == "N/A" || rest[6].isEmpty ? .null : .text(rest[6]),
            ])
        listing?.seen += 1
        tally.produced()
    }

    /// A listing with fewer rows than its count was cut (a partial save): said, its rows kept.
    private mutating func closeListing() {
        if let current = listing, current.seen < current.count {
            tally.reject(
                line: current.line,
                reason: "yarn-app-list: the listing counts \(current.count) application(s), \(current.seen) follow",
                excerpt: "")
        }
        listing = nil
    }

    /// `25/11/19 10:30:01 INFO client.RMProxy: Connecting to ResourceManager at …`, and the same
    /// with a four-digit year or WARN.
    static func isCLILogLine(_ line: String) -> Bool {
        let words = line.split(separator: " ", maxSplits: 4)
        return words.count >= 4 && ["INFO", "WARN", "ERROR", "DEBUG"].contains(String(words[2]))
            && words[0].contains(where: \.isNumber) && words[1].contains(":")
    }

    public var heldRows: Int { rows.rowCount }

    public mutating func takeRows() -> [TableBatch] {
        let taken = rows.take()
        return [taken].filter { $0.rowCount > 0 }
    }

    public mutating func finish() -> ParsedFile {
        closeListing()
        return tally.finish(batches: [rows])
    }
}
