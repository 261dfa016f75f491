import Foundation
import LedgerModel

/// `yarn-rm`: Hadoop YARN ResourceManager logs (`yarn-yarn-resourcemanager-<host>.log[.N][.gz]`,
/// `rm-appsummary.log`, `rm-audit.log`), formats.md §2.
///
/// Reads the `RMAppManager$ApplicationSummary` line that the ResourceManager writes once per
/// application when it completes (resources used, times, final state) into `yarn_app`, and the
/// `RMAuditLogger` lines (who submitted or killed which application) into `yarn_audit` (not
/// the ApplicationMaster's per-container calls).
/// Every timestamped line also counts towards the file's first and last event time.
public struct YarnResourceManagerFormat: LogFormat {
    public static let name = "yarn-rm"
    public static let summary = "Hadoop YARN ResourceManager log: application summaries (resources used per app)"

    /// Recognised when a log4j line of the first ones comes from a ResourceManager logger —
    /// the full `org.apache.hadoop.yarn.server.resourcemanager.` package (the default `%c`),
    /// its `%c{2}` form `resourcemanager.…` (rm-appsummary.log, rm-audit.log), or the bare
    /// `RMAuditLogger` / `RMAppManager$ApplicationSummary` of vendor `%c{1}` layouts.
    public static func recognizes(_ head: HeadSample) -> Bool {
        head.containsLog4jLine { b, line in isResourceManagerLogger(b, line.logger) }
    }

    static func isResourceManagerLogger(_ b: UnsafeRawBufferPointer, _ logger: Range<Int>) -> Bool {
        b.contains("yarn.server.resourcemanager.", in: logger)
            || b.string(logger).hasPrefix("resourcemanager.")
            || b.hasSuffix("RMAppManager$ApplicationSummary", in: logger)
            || isBareLogger(b, logger, "RMAuditLogger")
    }

    private static func isBareLogger(_ b: UnsafeRawBufferPointer, _ logger: Range<Int>, _ name: StaticString) -> Bool {
        logger.count == name.utf8CodeUnitCount && b.hasSuffix(name, in: logger)
    }

    /// The `yarn_app` staging table, in column order (the store adds `file_id` and `line`).
    public static let appColumns = [
        "app_id", "cluster_id", "logged_at", "name", "user", "queue", "state", "final_status",
        "tracking_url", "app_master_host", "submit_time", "start_time", "launch_time",
        "finish_time", "memory_seconds", "vcore_seconds", "preempted_memory_seconds",
        "preempted_vcore_seconds", "preempted_am_containers", "preempted_non_am_containers",
        "preempted_resources", "application_type", "resource_seconds",
        "preempted_resource_seconds", "application_tags", "application_node_label",
        "diagnostics", "total_allocated_containers", "extra",
    ]

    private var context: ParseContext
    private var tally = ParseTally()
    private var apps = TableBatch(table: "yarn_app", columns: appColumns)
    private var audits = TableBatch(table: "yarn_audit", columns: auditColumns)

    /// The `yarn_audit` staging table: who asked the ResourceManager for what (formats.md §2.4).
    public static let auditColumns = [
        "cluster_id", "at", "user", "ip", "operation", "target", "result", "app_id", "queue", "description",
    ]

    /// `USER=…<TAB>IP=…<TAB>OPERATION=…<TAB>TARGET=…<TAB>RESULT=…[<TAB>APPID=…]…`: tab-separated,
    /// values never escaped. Pages that turned the tabs into runs of spaces are read too, by
    /// splitting before each known `KEY=`.
    private mutating func audit(_ lineNumber: Int, _ at: Int64, _ bytes: UnsafeRawBufferPointer, _ line: Log4jLine) {
        let fields = Self.auditFields(bytes, line.message)
        guard let operation = fields[Stored.operation.rawValue], let user = fields[Stored.user.rawValue] else {
            tally.reject(line: lineNumber, reason: "yarn-rm: audit line without USER and OPERATION", bytes: bytes)
            return
        }
        audits.append(line: lineNumber, [
            .optionalText(context.input.clusterID), .text(UTCTime.iso8601(millis: at)), .text(user),
            .optionalText(fields[Stored.ip.rawValue]), .text(operation), .optionalText(fields[Stored.target.rawValue]),
            .optionalText(fields[Stored.result.rawValue]), .optionalText(fields[Stored.appID.rawValue]),
            .optionalText(fields[Stored.queue.rawValue]), .optionalText(fields[Stored.description.rawValue]),
        ])
        tally.produced()
    }

    /// The audit keys that are stored, and their places in ``auditFields(_:_:)``'s answer.
    enum Stored: Int, CaseIterable {
        case user, ip, operation, target, result, appID, queue, description
        var key: [UInt8] {
            Array(["USER", "IP", "OPERATION", "TARGET", "RESULT", "APPID", "QUEUENAME", "DESCRIPTION"][rawValue].utf8)
        }
        static let keys = allCases.map(\.key)
    }

    /// Every key RMAuditLogger writes (Hadoop 2 and 3), for lines whose tabs became spaces.
    static let auditKeys = [
        "USER", "IP", "OPERATION", "TARGET", "RESULT", "DESCRIPTION", "PERMISSIONS", "APPID",
        "APPATTEMPTID", "CONTAINERID", "RESOURCE", "CALLERCONTEXT", "CALLERSIGNATURE", "QUEUENAME",
        "NODELABEL", "INCLUDEAPPS", "INCLUDECHILDQUEUES", "RECURSIVE",
    ].map { Array(($0 + "=").utf8) }

    /// The stored fields of the audit message in `message`, by ``Stored``'s order: pieces split
    /// at tabs (or, without tabs, before each known `KEY=` at the start or after a space), each
    /// `key=value` with whitespace trimmed from both, the first of a key kept. On the bytes, not
    /// a String split, a dictionary and Foundation's `trimmingCharacters` per field, for every
    /// audit line (benchmarks/NOTES.md, `auditFields`).
    static func auditFields(_ b: UnsafeRawBufferPointer, _ message: Range<Int>) -> [String?] {
        var fields = [String?](repeating: nil, count: Stored.allCases.count)
        func take(_ piece: Range<Int>) {
            guard let eq = b.firstOffset(of: "=", in: piece) else { return }
            let key = b.trimmedWhitespace(piece.lowerBound..<eq)
            let slot: Int?
            switch key {
            case .bytes(let r): slot = Stored.keys.firstIndex { b.equals($0, in: r) }
            case .string(let s): slot = Stored.keys.firstIndex { String(decoding: $0, as: UTF8.self) == s }
            }
            guard let slot, fields[slot] == nil else { return }
            switch b.trimmedWhitespace((eq + 1)..<piece.upperBound) {
            case .bytes(let r): fields[slot] = b.string(r)
            case .string(let s): fields[slot] = s
            }
        }
        if b.firstOffset(of: "\t", in: message) != nil {
            var start = message.lowerBound
            while start < message.upperBound {
                let end = b.firstOffset(of: "\t", in: start..<message.upperBound) ?? message.upperBound
                take(start..<end)
                start = end + 1
            }
        } else {
            var cuts: [Int] = []
            for key in auditKeys {
                var search = message.lowerBound
                while let at = key.withUnsafeBytes({ b.firstOffset(of: $0, in: search..<message.upperBound) }) {
                    if at == message.lowerBound || b[at - 1] == 0x20 { cuts.append(at) }
                    search = at + key.count
                }
            }
            cuts.sort()
            for (i, start) in cuts.enumerated() { take(start..<(i + 1 < cuts.count ? cuts[i + 1] : message.upperBound)) }
        }
        return fields
    }

    public init(context: ParseContext) {
        self.context = context
    }

    public mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer) {
        tally.sawLine()
        guard let line = Log4jLine.parse(bytes) else { return }  // stack traces, continuations
        let utc = context.clock.utcMillis(localMillis: line.localMillis)
        tally.sawEvent(atMillis: utc)
        if bytes.hasSuffix("RMAuditLogger", in: line.logger) {
            // The ApplicationMaster's own calls, per container and per heartbeat, are most of
            // the audit lines of a busy cluster and say nothing about who ran or stopped an
            // application (SPEC §2): counted as lines, not stored.
            guard !bytes.contains("OPERATION=AM ", in: line.message),
                !bytes.contains("OPERATION=App Master Heartbeats", in: line.message)
            else { return }
            audit(lineNumber, utc, bytes, line)
            return
        }
        guard bytes.hasSuffix("RMAppManager$ApplicationSummary", in: line.logger) else { return }
        do {
            let summary = try ApplicationSummary.parse(bytes, line.message).get()
            apps.append(line: lineNumber, try summary.row(clusterID: context.input.clusterID, loggedAt: utc))
            tally.produced()
        } catch {
            tally.reject(line: lineNumber, reason: "yarn-rm: \(error.reason)", bytes: bytes)
        }
    }

    public var heldRows: Int { apps.rowCount + audits.rowCount }

    public mutating func takeRows() -> [TableBatch] {
        let appsRows = apps.take()
        let auditsRows = audits.take()
        return [appsRows, auditsRows].filter { $0.rowCount > 0 }
    }

    public mutating func finish() -> ParsedFile {
        tally.finish(batches: [apps, audits])
    }
}

/// One `RMAppManager$ApplicationSummary` message, unescaped.
///
/// The message is `key=value` pairs joined by `,`; values were escaped by Hadoop's
/// `StringUtils.escapeString` (`\,` `\=` `\\`) and then had line breaks written as `\n` / `\r`
/// (formats.md §2.3). Keys appear in a fixed order that grew over Hadoop versions; any prefix of
/// the list is accepted, and keys this code does not know are kept in `extra` (JSON).
struct ApplicationSummary {
    struct Problem: Error {
        let reason: String
    }

    var fields: [(key: String, value: String)]

    /// Splits and unescapes the message bytes in `range`.
    static func parse(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> Result<ApplicationSummary, Problem> {
        var fields: [(key: String, value: String)] = []
        var key: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        var orphan = false  // a piece without `=`: Hadoop 2.0 did not escape commas in values

        func close() {
            if inValue {
                fields.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            } else if !key.isEmpty {
                // `a,b` with an unescaped comma: the piece belongs to the previous value.
                if let last = fields.popLast() {
                    fields.append((last.key, last.value + "," + String(decoding: key, as: UTF8.self)))
                } else {
                    orphan = true
                }
            }
            key.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            inValue = false
        }

        var i = range.lowerBound
        while i < range.upperBound {
            // A run of plain bytes is copied at once, not byte by byte (a summary is some 700
            // bytes: benchmarks/NOTES.md, `ApplicationSummary`); it ends at a backslash, a comma,
            // or the first `=` of a field.
            var j = i
            while j < range.upperBound {
                let d = b[j]
                if d == 0x5C || d == 0x2C || (d == 0x3D && !inValue) { break }
                j += 1
            }
            if j > i {
                let run = UnsafeRawBufferPointer(rebasing: b[i..<j])
                if inValue { value.append(contentsOf: run) } else { key.append(contentsOf: run) }
                i = j
                continue
            }
            var c = b[i]
            if c == 0x5C, i + 1 < range.upperBound {  // backslash escape
                i += 1
                switch b[i] {
                case 0x6E: c = 0x0A  // \n
                case 0x72: c = 0x0D  // \r
                default: c = b[i]  // \, \= \\ and anything else: the character itself
                }
                if inValue { value.append(c) } else { key.append(c) }
            } else if c == 0x2C {  // unescaped comma ends a field
                close()
            } else if c == 0x3D && !inValue {  // first unescaped = splits key and value
                inValue = true
            } else if inValue {
                value.append(c)  // a backslash that ends the message
            } else {
                key.append(c)
            }
            i += 1
        }
        close()
        if orphan { return .failure(Problem(reason: "application summary starts with a field without '='")) }
        guard !fields.isEmpty else { return .failure(Problem(reason: "empty application summary")) }
        return .success(ApplicationSummary(fields: fields))
    }

    /// The `yarn_app` row; throws the first problem (no appId, a number that is not one).
    func row(clusterID: String?, loggedAt: Int64) throws(Problem) -> [SQLValue] {
        // Each known key's first value, by its place in `knownKeys`; Hadoop writes the keys in
        // that order, so the next expected key is tried before the dictionary.
        var slots = [String?](repeating: nil, count: Self.knownKeys.count)
        var extra: [(String, String)] = []
        var expected = 0
        for (k, v) in fields {
            let slot: Int?
            if expected < Self.knownKeys.count, Self.knownKeys[expected] == k {
                slot = expected
            } else {
                slot = Self.slotByKey[k]
            }
            if let slot {
                if slots[slot] == nil { slots[slot] = v }
                expected = slot + 1
            } else {
                extra.append((k, v))
            }
        }
        func text(_ key: Key) -> String? { slots[key.rawValue] }
        guard let appID = text(.appId), Self.isApplicationID(appID) else {
            throw Problem(reason: "application summary without a valid appId (\(text(.appId).map { "'\($0)'" } ?? "none"))")
        }
        func integer(_ key: Key) throws(Problem) -> SQLValue {
            guard let raw = text(key) else { return .null }
            guard let v = Int64(raw) else { throw Problem(reason: "\(key) is not an integer: '\(raw)'") }
            return .integer(v)
        }
        func time(_ key: Key) throws(Problem) -> SQLValue {
            guard let raw = text(key) else { return .null }
            guard let v = Int64(raw), v >= 0 else { throw Problem(reason: "\(key) is not epoch milliseconds: '\(raw)'") }
            return v == 0 ? .null : .text(UTCTime.iso8601(millis: v))  // 0 = never happened
        }
        func string(_ key: Key) -> SQLValue { .optionalText(text(key)) }
        return [
            .text(appID), .optionalText(clusterID), .text(UTCTime.iso8601(millis: loggedAt)),
            string(.name), string(.user), string(.queue), string(.state), string(.finalStatus),
            string(.trackingUrl), string(.appMasterHost),
            try time(.submitTime), try time(.startTime), try time(.launchTime), try time(.finishTime),
            try integer(.memorySeconds), try integer(.vcoreSeconds),
            try integer(.preemptedMemorySeconds), try integer(.preemptedVcoreSeconds),
            try integer(.preemptedAMContainers), try integer(.preemptedNonAMContainers),
            string(.preemptedResources), string(.applicationType), string(.resourceSeconds),
            string(.preemptedResourceSeconds), string(.applicationTags),
            string(.applicationNodeLabel), string(.diagnostics),
            try integer(.totalAllocatedContainers),
            extra.isEmpty ? .null : .text(JSONText.object(extra)),
        ]
    }

    /// The keys Hadoop writes, in the order it writes them (later versions add at the end;
    /// formats.md §2.3).
    enum Key: Int, CaseIterable {
        case appId, name, user, queue, state, trackingUrl, appMasterHost, submitTime
        case startTime, launchTime, finishTime, finalStatus, memorySeconds, vcoreSeconds
        case preemptedMemorySeconds, preemptedVcoreSeconds, preemptedAMContainers
        case preemptedNonAMContainers, preemptedResources, applicationType, resourceSeconds
        case preemptedResourceSeconds, applicationTags, applicationNodeLabel, diagnostics
        case totalAllocatedContainers
    }
    static let knownKeys = Key.allCases.map { "\($0)" }
    static let slotByKey = Dictionary(uniqueKeysWithValues: knownKeys.enumerated().map { ($1, $0) })

    /// `application_<cluster timestamp>_<sequence>` (formats.md §2.2).
    static func isApplicationID(_ s: String) -> Bool {
        // On the UTF-8 bytes: this runs for every application summary.
        var parts = 0  // underscores seen
        var digits = 0  // digits in the current numeric part
        var prefix = 0  // bytes of `application` matched
        for c in s.utf8 {
            if parts == 0 {
                if prefix < 11 {
                    guard c == Self.applicationWord[prefix] else { return false }
                    prefix += 1
                } else {
                    guard c == 0x5F else { return false }
                    parts = 1
                }
            } else if c == 0x5F {
                guard parts == 1, digits > 0 else { return false }
                parts = 2
                digits = 0
            } else {
                guard c >= 0x30, c <= 0x39 else { return false }
                digits += 1
            }
        }
        return parts == 2 && digits > 0
    }

    private static let applicationWord = Array("application".utf8)
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
