import Foundation
import LedgerModel

/// `cloudtrail`: AWS CloudTrail log files (formats.md §3): `{"Records": […]}` as CloudTrail
/// delivers them, bare arrays, single events and one event per line, gzipped or not.
///
/// Records are cut out of the stream one at a time (``JSONRecordSplitter``). Most of an
/// organisation trail has nothing to do with sessions, so each record is first looked at for
/// its `eventSource` and `eventName` only, and only the relevant ones are decoded and stored
/// (`ct_event`): sign-in and logout, Identity Center, token exchange, STS role assumptions,
/// EMR cluster and security-configuration changes, SageMaker jobs and presigned URLs, and any
/// event that carries `onBehalfOf` or `sourceIdentity`. The rest are counted and skipped.
///
/// A record that cannot be read is quarantined and the next one is read; duplicates (the same
/// `eventID`, which CloudTrail delivers more than once) are dropped by the store and counted.
/// Values under keys that look like secrets (`credentials`, `sessionToken`, …) are stored as `***`.
public struct CloudTrailFormat: LogFormat {
    public static let name = "cloudtrail"
    public static let summary =
        "AWS CloudTrail logs (JSON, gzipped or not): sign-ins, identities, roles, EMR and SageMaker events"
    public static let inputMode = InputMode.bytes
    /// The parser's revision: 3 keeps SageMaker Pipelines' start and stop.
    ///
    /// 2 kept EMR's `AddJobFlowSteps` and `GetClusterSessionCredentials` (runtime roles) and
    /// flagged two records with no comma between them.
    public static let revision = 3
    /// CloudTrail caps a record's parts at about 250 KB; anything past 4 MiB is not an event.
    public static let maxRecordBytes = 4 << 20

    /// Recognised by the shape of the first record: a `Records` array, or events with
    /// `eventVersion`, `eventSource` and `eventTime` (exports that renamed or dropped those, such
    /// as Logstash's `@timestamp`, are not CloudTrail and are not guessed at).
    ///
    /// Digest files are their own format.
    public static func recognizes(_ head: HeadSample) -> Bool {
        let text = head.lines.prefix(400).joined(separator: "\n")
        let start = text.drop { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\u{FEFF}" }
        guard let first = start.first, first == "{" || first == "[" else { return false }
        // A delivered log starts `{"Records":[` (a digest never does): decided from the first
        // characters, without scanning the whole head, which for a log is one 256 KiB line.
        let compact = start.prefix(64).filter { $0 != " " && $0 != "\n" && $0 != "\r" && $0 != "\t" }
        if compact.hasPrefix("{\"Records\":[") { return true }
        if text.contains("\"digestStartTime\"") || text.contains("\"digestPublicKeyFingerprint\"") { return false }
        return text.contains("\"eventVersion\"") && text.contains("\"eventSource\"") && text.contains("\"eventTime\"")
    }

    /// Events kept, by source: `*` keeps every event of that source (`relevance.json`).
    static let relevant: [String: Set<String>] = CloudTrailRelevance.definition.sources

    /// The staging tables this format fills.
    public static var tables: [StagingTable] { [eventTable] }

    public static let eventTable = StagingTable(
        "ct_event", naturalKey: "event_id",
        columns: [
            "event_id", "event_time", "event_source", "event_name", "event_type", "aws_region",
            "recipient_account_id", "source_ip", "error_code", "identity_type", "principal_id", "identity_arn",
            "identity_account_id", "user_name", "session_issuer_arn", "on_behalf_of_user_id",
            "on_behalf_of_store_arn", "credential_id", "source_identity", "shared_event_id",
            "request_parameters", "response_elements", "additional_event_data", "service_event_details", "resources",
        ])

    private var context: ParseContext
    private var tally = ParseTally()
    private var events = TableBatch(eventTable)
    private var splitter = JSONRecordSplitter(maxRecordBytes: maxRecordBytes)
    /// Records skipped as irrelevant.
    public private(set) var skipped = 0
    /// A record's braces did not balance: from then on the nesting depth is not to be trusted.
    private var sawBrokenRecord = false

    public init(context: ParseContext) {
        self.context = context
    }

    public mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer) {}

    public mutating func consume(chunk bytes: UnsafeRawBufferPointer) {
        // Taken after the splitter is done with the chunk (`take` changes this parser, whose
        // splitter is running); `.checked` pieces point into `bytes`, alive until this returns.
        var pieces: [JSONRecordSplitter.Piece] = []
        splitter.feed(bytes) { pieces.append($0) }
        for piece in pieces { take(piece) }
    }

    private mutating func take(_ piece: JSONRecordSplitter.Piece) {
        switch piece {
        case .missingSeparator:
            // Counted as a rejected line so that the file is flagged (data quality, the gates);
            // no record is lost: the ones on both sides are read.
            let next = tally.file.lines + 1
            tally.reject(
                line: next,
                reason:
                    "cloudtrail: no ',' between records \(next - 1) and \(next): the file is not valid JSON there; both records were read",
                excerpt: "")
        case .oversized:
            tally.sawRecord()
            tally.reject(
                line: tally.file.lines, reason: "cloudtrail: record larger than \(Self.maxRecordBytes >> 20) MiB",
                excerpt: "")
        case .checked(let bytes):
            read(bytes)
        case .record(let bytes):
            if JSONSyntax.isObject(bytes) {
                bytes.withUnsafeBytes { read($0) }
            } else {
                // A record that does not parse may have swallowed the ones after it (a missing
                // brace); give those back and count the broken one.
                let recovered = JSONRecordSplitter.recover(bytes)
                sawBrokenRecord = true
                tally.sawRecord()
                tally.reject(
                    line: tally.file.lines, reason: "cloudtrail: record is not valid JSON",
                    excerpt: String(decoding: bytes.prefix(200), as: UTF8.self))
                for slice in recovered { slice.withUnsafeBytes { read($0) } }
            }
        }
    }

    // MARK: Reading a file's kept records alone

    /// Reads one record of the file, whole, as if the splitter had cut it out: for a file whose
    /// other records were filtered out elsewhere (the scale-out extract), with ``skip(records:)``
    /// for those.
    public mutating func consume(record bytes: UnsafeRawBufferPointer) {
        read(bytes)
    }

    /// Counts `count` records that the prefilter would have skipped (read, not kept).
    public mutating func skip(records count: Int) {
        tally.sawRecords(count)
        skipped += max(count, 0)
    }

    /// The earliest and latest times of the records ``skip(records:)`` counted, as the prefilter
    /// reads a skipped record's time (``millis(raw:)`` of its first `eventTime`).
    public mutating func sawSkippedEvents(firstMillis: Int64?, lastMillis: Int64?) {
        for t in [firstMillis, lastMillis].compactMap({ $0 }) { tally.sawEvent(atMillis: t) }
    }

    /// Looks at one record's source and name; decodes and keeps it if relevant.
    private mutating func read(_ bytes: UnsafeRawBufferPointer) {
        tally.sawRecord()
        let index = tally.file.lines
        guard let source = Self.valueRange(ofQuoted: Self.eventSourceKey, in: bytes),
            let name = Self.valueRange(ofQuoted: Self.eventNameKey, in: bytes)
        else {
            tally.reject(
                line: index, reason: "cloudtrail: record without eventSource and eventName strings",
                excerpt: String(decoding: bytes.prefix(200), as: UTF8.self))
            return
        }
        guard Self.keeps(bytes, source: source, name: name) else {
            skipped += 1
            if let time = Self.valueRange(ofQuoted: Self.eventTimeKey, in: bytes),
                let t = Self.millis(raw: UnsafeRawBufferPointer(rebasing: bytes[time]))
            {
                tally.sawEvent(atMillis: t)
            }
            return
        }
        guard let record = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            tally.reject(line: index, reason: "cloudtrail: record is not a JSON object", excerpt: "")
            return
        }
        do {
            let row = try Self.row(record)
            events.append(line: index, row.values)
            tally.sawEvent(atMillis: row.time)
            tally.produced()
        } catch let problem as Problem {
            tally.reject(
                line: index, reason: "cloudtrail: \(problem.reason)",
                excerpt: String(decoding: bytes.prefix(200), as: UTF8.self))
        } catch {}
    }

    /// Whether the record `bytes` is kept.
    ///
    /// It is when its source and name are relevant, or when it holds a key of
    /// `relevance.json`'s `keep_if_present`; a record without both strings is not.
    ///
    /// The scale-out job (`scale-out/cloudtrail_extract.py`) decides on the same raw text the same way.
    public static func keeps(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let source = valueRange(ofQuoted: eventSourceKey, in: bytes),
            let name = valueRange(ofQuoted: eventNameKey, in: bytes)
        else { return false }
        return keeps(bytes, source: source, name: name)
    }

    static func keeps(_ bytes: UnsafeRawBufferPointer, source: Range<Int>, name: Range<Int>) -> Bool {
        isRelevant(
            source: UnsafeRawBufferPointer(rebasing: bytes[source]), name: UnsafeRawBufferPointer(rebasing: bytes[name])
        )
            || keepKeys.contains { contains($0, in: bytes) }
    }

    /// A source of `relevant` as bytes.
    ///
    /// A struct, not a tuple: an array of tuples made the runtime look up the tuple's type for
    /// every record.
    struct RelevantSource {
        let source: [UInt8]
        let all: Bool
        let names: [[UInt8]]
    }

    static let relevantBytes: [RelevantSource] = relevant.keys.sorted().map { source in
        RelevantSource(
            source: Array(source.utf8), all: relevant[source]!.contains("*"),
            names: relevant[source]!.sorted().map { Array($0.utf8) })
    }

    /// Whether an event of `source` and `name` (a string value's raw bytes each) is kept for
    /// itself.
    ///
    /// Compared as UTF-8 bytes, as the scale-out job compares code points: String equality would
    /// also take canonically equivalent spellings (hashing two Strings per record of a trail was a
    /// twentieth of its ingest, too).
    static func isRelevant(source: UnsafeRawBufferPointer, name: UnsafeRawBufferPointer) -> Bool {
        func same(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
            a.count == b.count
                && (a.isEmpty || a.withUnsafeBytes { memcmp($0.baseAddress!, b.baseAddress!, a.count) == 0 })
        }
        for entry in relevantBytes where same(entry.source, source) {
            return entry.all || entry.names.contains { same($0, name) }
        }
        return false
    }

    struct Problem: Error { let reason: String }

    static func row(_ r: [String: Any]) throws -> (values: [SQLValue], time: Int64) {
        // The expected type is tried first: asking a Swift dictionary or string `is NSNull`
        // bridges it to Foundation (`_bridgeToObjectiveC`), a twentieth of a trail's ingest.
        func string(_ key: String, in d: [String: Any]? = nil) throws -> String? {
            let v = (d ?? r)[key]
            if let s = v as? String { return s }
            if v == nil || v is NSNull { return nil }
            throw Problem(reason: "\(key) is not a string")
        }
        func object(_ key: String, in d: [String: Any]? = nil) throws -> [String: Any]? {
            let v = (d ?? r)[key]
            if let o = v as? [String: Any] { return o }
            if v == nil || v is NSNull { return nil }
            throw Problem(reason: "\(key) is not an object")
        }
        guard let id = try string("eventID"), !id.isEmpty else { throw Problem(reason: "record without eventID") }
        guard let timeText = try string("eventTime"), let time = millis(timeText) else {
            throw Problem(reason: "record without a readable eventTime")
        }
        let identity = try object("userIdentity")
        let session = try identity.flatMap { try object("sessionContext", in: $0) }
        let issuer = try session.flatMap { try object("sessionIssuer", in: $0) }
        let onBehalfOf = try identity.flatMap { try object("onBehalfOf", in: $0) }
        var sourceIdentity = try session.flatMap { try string("sourceIdentity", in: $0) }
        let request = try object("requestParameters")
        if sourceIdentity == nil, let s = request?["sourceIdentity"] as? String { sourceIdentity = s }
        func json(_ key: String) -> SQLValue {
            guard let v = r[key], v is [String: Any] || v is [Any] || v is String || !(v is NSNull) else {
                return .null
            }
            return .text(JSONText.canonical(Redaction.redact(v)))
        }
        let values: [SQLValue] = [
            .text(id), .text(UTCTime.iso8601(millis: time)), .optionalText(try string("eventSource")),
            .optionalText(try string("eventName")), .optionalText(try string("eventType")),
            .optionalText(try string("awsRegion")), .optionalText(try string("recipientAccountId")),
            .optionalText(try string("sourceIPAddress")), .optionalText(try string("errorCode")),
            .optionalText(try identity.flatMap { try string("type", in: $0) }),
            .optionalText(try identity.flatMap { try string("principalId", in: $0) }),
            .optionalText(try identity.flatMap { try string("arn", in: $0) }),
            .optionalText(try identity.flatMap { try string("accountId", in: $0) }),
            .optionalText(try identity.flatMap { try string("userName", in: $0) }),
            .optionalText(try issuer.flatMap { try string("arn", in: $0) }),
            .optionalText(try onBehalfOf.flatMap { try string("userId", in: $0) }),
            .optionalText(try onBehalfOf.flatMap { try string("identityStoreArn", in: $0) }),
            .optionalText(try identity.flatMap { try string("credentialId", in: $0) }),
            .optionalText(sourceIdentity), .optionalText(try string("sharedEventID")),
            json("requestParameters"), json("responseElements"), json("additionalEventData"),
            json("serviceEventDetails"), json("resources"),
        ]
        return (values, time)
    }

    /// `2025-09-22T12:29:21Z` (or with fractional seconds) in UTC milliseconds.
    static func millis(_ text: String) -> Int64? {
        var s = text
        return s.withUTF8 { millis(raw: UnsafeRawBufferPointer($0)) }
    }

    /// `millis` of a string value's raw bytes, without making a String: the same answer as for the
    /// String they decode to.
    ///
    /// A time is read only when its first 23 bytes and the one before the final `Z` are ASCII, and
    /// decoding (with repair) keeps ASCII bytes where they are and turns anything else into bytes
    /// ≥ 0x80 (a test checks this on random bytes).
    static func millis(raw u: UnsafeRawBufferPointer) -> Int64? {
        // Ends in the Character "Z": a `Z` byte after an ASCII one (a non-ASCII byte there may
        // be a mark that joins the `Z` into a larger Character). Checked on bytes: a String
        // `hasSuffix` went through Foundation for every record of a trail.
        guard u.count >= 2, u[u.count - 1] == 0x5A, u[u.count - 2] < 0x80 else { return nil }
        let b = UnsafeRawBufferPointer(rebasing: u[..<(u.count - 1)])
        guard b.count >= 19, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
            let y = Log4jLine.digits(b, 0, 4), let mo = Log4jLine.digits(b, 5, 2), let d = Log4jLine.digits(b, 8, 2),
            let h = Log4jLine.digits(b, 11, 2), let mi = Log4jLine.digits(b, 14, 2),
            let sec = Log4jLine.digits(b, 17, 2),
            Log4jLine.valid(mo, d, h, mi, sec)
        else { return nil }
        var ms: Int64 = 0
        if b.count >= 23, b[19] == 0x2E, let f = Log4jLine.digits(b, 20, 3) { ms = Int64(f) }
        return UTCTime.epochSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: sec) * 1000 + ms
    }

    // The keys and markers every record is searched for, made once.
    static let eventSourceKey = Array(#""eventSource""#.utf8)
    static let eventNameKey = Array(#""eventName""#.utf8)
    static let eventTimeKey = Array(#""eventTime""#.utf8)
    /// The keys whose presence keeps a record (`"onBehalfOf"`, `"sourceIdentity"`).
    static let keepKeys = CloudTrailRelevance.definition.keepIfPresent.map { Array("\"\($0)\"".utf8) }

    /// Where the raw contents of the first `"key": "…"` string value are in the bytes (`needle` is
    /// the key, quoted, in bytes); escapes are left as they are (these values are service and API
    /// names).
    ///
    /// nil when the key is not there or its value is not a string.
    static func valueRange(ofQuoted needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Range<Int>? {
        var i = 0
        while let at = find(needle, in: bytes, from: i) {
            var j = at + needle.count
            while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x0A || bytes[j] == 0x0D || bytes[j] == 0x09 {
                j += 1
            }
            guard j < bytes.count, bytes[j] == 0x3A else {
                i = at + 1
                continue
            }
            j += 1
            while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x0A || bytes[j] == 0x0D || bytes[j] == 0x09 {
                j += 1
            }
            guard j < bytes.count, bytes[j] == 0x22 else { return nil }
            let start = j + 1
            var k = start
            while k < bytes.count, bytes[k] != 0x22 {
                if bytes[k] == 0x5C { k += 1 }
                k += 1
            }
            guard k < bytes.count else { return nil }
            return start..<k
        }
        return nil
    }

    static func contains(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer) -> Bool {
        find(needle, in: bytes, from: 0) != nil
    }

    /// Where `needle` first occurs at or after `from` (memchr and memcmp: every record of an
    /// organisation trail is searched several times, most of them only to be skipped).
    static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard !needle.isEmpty, from >= 0, bytes.count - from >= needle.count else { return nil }
        return needle.withUnsafeBytes { n in bytes.firstOffset(of: n, in: from..<bytes.count) }
    }

    public var heldRows: Int { events.rowCount }

    public mutating func takeRows() -> [TableBatch] {
        let eventsRows = events.take()
        return [eventsRows].filter { $0.rowCount > 0 }
    }

    public mutating func finish() -> ParsedFile {
        if splitter.isInsideRecord {
            tally.sawRecord()
            tally.reject(
                line: tally.file.lines, reason: "cloudtrail: the file ends inside a record (cut JSON)", excerpt: "")
        } else if splitter.isInsideDocument && !sawBrokenRecord {
            tally.reject(
                line: tally.file.lines + 1,
                reason: "cloudtrail: the file ends before its Records array is closed (cut JSON)", excerpt: "")
        }
        return tally.finish(batches: [events])
    }
}
