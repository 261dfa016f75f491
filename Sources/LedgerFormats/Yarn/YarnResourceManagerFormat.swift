import LedgerModel

/// `yarn-rm`: Hadoop YARN ResourceManager logs (`yarn-yarn-resourcemanager-<host>.log[.N][.gz]`,
/// `rm-appsummary.log`, `rm-audit.log`), formats.md §2.
///
/// Reads the `RMAppManager$ApplicationSummary` line that the ResourceManager writes once per
/// application when it completes (resources used, times, final state) into `yarn_app`, and the
/// `RMAuditLogger` lines (who submitted or killed which application) into `yarn_audit`. The
/// scheduler's per-container audit lines are summed per app into `yarn_app_containers`
/// (``ContainerTally``); the ApplicationMaster's other calls are counted as lines only.
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

    /// The staging tables this format fills.
    public static var tables: [StagingTable] { [appTable, auditTable, ContainerTally.table] }

    /// The `yarn_app` staging table, in column order (the store adds `file_id` and `line`).
    public static let appTable = StagingTable(
        "yarn_app", naturalKey: "app_id",
        columns: [
            "app_id", "cluster_id", "logged_at", "name", "user", "queue", "state", "final_status",
            "tracking_url", "app_master_host", "submit_time", "start_time", "launch_time",
            "finish_time", "memory_seconds", "vcore_seconds", "preempted_memory_seconds",
            "preempted_vcore_seconds", "preempted_am_containers", "preempted_non_am_containers",
            "preempted_resources", "application_type", "resource_seconds",
            "preempted_resource_seconds", "application_tags", "application_node_label",
            "diagnostics", "total_allocated_containers", "extra",
        ])

    private var context: ParseContext
    private var tally = ParseTally()
    private var apps = TableBatch(appTable)
    private var audits = TableBatch(auditTable)
    private var containers: ContainerTally

    /// The `yarn_audit` staging table: who asked the ResourceManager for what (formats.md §2.4).
    public static let auditTable = StagingTable(
        "yarn_audit",
        columns: [
            "cluster_id", "at", "user", "ip", "operation", "target", "result", "app_id", "queue", "description",
        ])

    /// `USER=…<TAB>IP=…<TAB>OPERATION=…<TAB>TARGET=…<TAB>RESULT=…[<TAB>APPID=…]…`: tab-separated,
    /// values never escaped.
    ///
    /// Pages that turned the tabs into runs of spaces are read too, by splitting before each known
    /// `KEY=`.
    private mutating func audit(_ lineNumber: Int, _ at: Int64, _ bytes: UnsafeRawBufferPointer, _ line: Log4jLine) {
        let fields = Self.auditFields(bytes, line.message)
        guard let operation = fields[Stored.operation.rawValue], let user = fields[Stored.user.rawValue] else {
            tally.reject(line: lineNumber, reason: "yarn-rm: audit line without USER and OPERATION", bytes: bytes)
            return
        }
        audits.append(
            line: lineNumber,
            [
                .optionalText(context.input.clusterID), .text(UTCTime.iso8601(millis: at)), .text(user),
                .optionalText(fields[Stored.ip.rawValue]), .text(operation),
                .optionalText(fields[Stored.target.rawValue]),
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

    /// The stored fields of the audit message in `message`, by ``Stored``'s order: pieces split at
    /// tabs (or, without tabs, before each known `KEY=` at the start or after a space), each
    /// `key=value` with whitespace trimmed from both, the first of a key kept.
    ///
    /// On the bytes, not a String split, a dictionary and Foundation's `trimmingCharacters` per
    /// field, for every audit line (benchmarks/NOTES.md, `auditFields`).
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
            for (i, start) in cuts.enumerated() {
                take(start..<(i + 1 < cuts.count ? cuts[i + 1] : message.upperBound))
            }
        }
        return fields
    }

    public init(context: ParseContext) {
        self.context = context
        containers = ContainerTally(clusterID: context.input.clusterID)
    }

    public mutating func consume(lineNumber: Int, bytes: UnsafeRawBufferPointer) {
        tally.sawLine()
        guard let line = Log4jLine.parse(bytes) else { return }  // stack traces, continuations
        let utc = context.clock.utcMillis(localMillis: line.localMillis)
        tally.sawEvent(atMillis: utc)
        if bytes.hasSuffix("RMAuditLogger", in: line.logger) {
            // The ApplicationMaster's own calls, per container and per heartbeat, are most of
            // the audit lines of a busy cluster and say nothing about who ran or stopped an
            // application (SPEC §2): not stored as lines. The containers allocated and released
            // are summed per app (how much of the cluster it held).
            if let am = bytes.firstOffset(of: "OPERATION=AM ", in: line.message) {
                // What follows the operation's first word, read in place (no second search).
                let rest = (am + 13)..<line.message.upperBound
                let allocated = bytes.hasPrefix("Allocated Container", in: rest)
                if allocated || bytes.hasPrefix("Released Container", in: rest) {
                    let after = (am + 31)..<line.message.upperBound
                    switch containers.add(bytes, after, allocated: allocated, line: lineNumber, at: utc) {
                    case .newApp: tally.produced()
                    case .counted: break
                    case .noApp:
                        tally.reject(
                            line: lineNumber, reason: "yarn-rm: container audit line without APPID", bytes: bytes)
                    }
                }
                return
            }
            guard !bytes.contains("OPERATION=App Master Heartbeats", in: line.message) else { return }
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

    public var heldRows: Int { apps.rowCount + audits.rowCount + containers.heldRows }

    public mutating func takeRows() -> [TableBatch] {
        let appsRows = apps.take()
        let auditsRows = audits.take()
        return [appsRows, auditsRows, containers.takeRows()].filter { $0.rowCount > 0 }
    }

    public mutating func finish() -> ParsedFile {
        tally.finish(batches: [apps, audits, containers.finish()])
    }
}
