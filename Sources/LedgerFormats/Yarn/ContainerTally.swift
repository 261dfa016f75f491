import LedgerModel

/// The containers each application held in one ResourceManager log, from the scheduler's
/// `AM Allocated Container` and `AM Released Container` audit lines (formats.md §2.4), summed
/// as they come: what the most containers and vCores an app held is made of.
///
/// One row per app and run of containers in a file (`yarn_app_containers`), not one per line:
/// these lines are most of a busy cluster's audit log, and a year of them is tens of millions.
/// A rotated log can begin with an app's containers already held, so each row's counts start
/// at 0; the derive adds the rows of an app up in time order (the `net_*` of those before each
/// one's `peak_*`).
struct ContainerTally {
    /// The `yarn_app_containers` staging table (the store adds `file_id` and `line`: the app's
    /// first container line in the file).
    static let table = StagingTable(
        "yarn_app_containers",
        columns: [
            "cluster_id", "app_id", "first_at", "last_at", "allocated", "released", "peak_containers",
            "net_containers", "peak_vcores", "net_vcores", "peak_memory_mb", "net_memory_mb",
        ])

    /// An application id's two numbers (`application_<cluster timestamp>_<sequence>`): a key
    /// made without allocating, for every line.
    struct AppKey: Hashable {
        var cluster: Int64
        var sequence: Int64
    }

    /// One app's lines so far in this file.
    struct App {
        var appID: String
        var line: Int
        var first: Int64
        var last: Int64
        var allocated = 0
        var released = 0
        var containers = 0
        var peakContainers = 0
        /// nil once a line of the app had no readable `RESOURCE` (Hadoop 2 writes none).
        var vcores: Int64? = 0
        var peakVcores: Int64? = 0
        var memory: Int64? = 0
        var peakMemory: Int64? = 0
    }

    /// The apps holding containers, by key.
    private var apps: [AppKey: App] = [:]
    /// The last app's key: an app's containers come in runs of lines.
    private var lastKey: AppKey?
    /// The rows of apps that have let go of every container, ready to be taken.
    private var ready = TableBatch(table)
    private let clusterID: String?

    init(clusterID: String?) {
        self.clusterID = clusterID
    }

    var heldRows: Int { ready.rowCount }

    /// What a line did: began an app's row, added to one, or named no application.
    enum Outcome { case newApp, counted, noApp }

    /// Reads one audit message whose operation is `allocated` (else released).
    ///
    /// An app whose count comes back to 0 is done with (its row is ready): a row a run of
    /// containers, so rows stream out as the file is read and only the apps holding containers
    /// are kept. A later run of the same app in the file is a row of its own, counted from 0.
    mutating func add(
        _ b: UnsafeRawBufferPointer, _ message: Range<Int>, allocated: Bool, line: Int, at: Int64
    ) -> Outcome {
        guard let (key, idRange) = Self.appID(b, message) else { return .noApp }
        // RMAuditLogger writes RESOURCE after APPID (and CONTAINERID).
        let resource = Self.resource(b, idRange.upperBound..<message.upperBound)
        var outcome = Outcome.counted
        if lastKey != key, apps[key] == nil {
            apps[key] = App(appID: b.string(idRange), line: line, first: at, last: at)
            outcome = .newApp
        }
        lastKey = key
        apps[key]!.count(allocated: allocated, resource: resource, at: at)
        if apps[key]!.containers == 0, let app = apps.removeValue(forKey: key) {
            append(app)
            lastKey = nil
        }
        return outcome
    }

    /// The rows ready so far.
    mutating func takeRows() -> TableBatch { ready.take() }

    /// The rows ready and those of the apps still holding containers at the end of the file,
    /// in the order of their first lines.
    mutating func finish() -> TableBatch {
        for app in apps.values.sorted(by: { $0.line < $1.line }) { append(app) }
        apps = [:]
        return ready.take()
    }

    private mutating func append(_ app: App) {
        ready.append(
            line: app.line,
            [
                .optionalText(clusterID), .text(app.appID), .text(UTCTime.iso8601(millis: app.first)),
                .text(UTCTime.iso8601(millis: app.last)), .integer(Int64(app.allocated)),
                .integer(Int64(app.released)), .integer(Int64(app.peakContainers)),
                .integer(Int64(app.containers)), .optionalInteger(app.peakVcores), .optionalInteger(app.vcores),
                .optionalInteger(app.peakMemory), .optionalInteger(app.memory),
            ])
    }

    /// `APPID=application_<digits>_<digits>`: its two numbers and where the id is.
    static func appID(_ b: UnsafeRawBufferPointer, _ message: Range<Int>) -> (AppKey, Range<Int>)? {
        guard let at = b.firstOffset(of: "APPID=application_", in: message) else { return nil }
        let start = at + 6
        var i = at + 18
        func number() -> Int64? { Self.number(b, &i, before: message.upperBound) }
        guard let cluster = number(), i < message.upperBound, b[i] == 0x5F else { return nil }
        i += 1
        guard let sequence = number() else { return nil }
        // The id ends at a tab, a space or the end of the line.
        guard i == message.upperBound || b[i] == 0x09 || b[i] == 0x20 else { return nil }
        return (AppKey(cluster: cluster, sequence: sequence), start..<i)
    }

    /// The decimal number at `i` (at most 18 digits), `i` moved past it; nil if no digit is there.
    static func number(_ b: UnsafeRawBufferPointer, _ i: inout Int, before end: Int) -> Int64? {
        var v: Int64 = 0
        let from = i
        while i < end, i - from < 18 {
            let c = b[i] &- 0x30
            guard c < 10 else { break }
            v = v * 10 + Int64(c)
            i += 1
        }
        return i > from ? v : nil
    }

    /// `RESOURCE=<memory:N, vCores:M…>` (Hadoop 3; more resource types may follow): (vCores,
    /// MiB), or nil.
    static func resource(_ b: UnsafeRawBufferPointer, _ message: Range<Int>) -> (vcores: Int64, memory: Int64)? {
        guard let at = b.firstOffset(of: "RESOURCE=<memory:", in: message) else { return nil }
        var i = at + 17
        func number() -> Int64? { Self.number(b, &i, before: message.upperBound) }
        guard let memory = number() else { return nil }
        let end = b.firstOffset(of: ">", in: i..<message.upperBound) ?? message.upperBound
        guard let v = b.firstOffset(of: "vCores:", in: i..<end) else { return nil }
        i = v + 7
        guard let vcores = number() else { return nil }
        return (vcores, memory)
    }
}

extension ContainerTally.App {
    fileprivate mutating func count(allocated isAllocation: Bool, resource: (vcores: Int64, memory: Int64)?, at: Int64)
    {
        last = max(last, at)
        let sign: Int64 = isAllocation ? 1 : -1
        if isAllocation {
            allocated += 1
            containers += 1
            peakContainers = max(peakContainers, containers)
        } else {
            released += 1
            containers -= 1
        }
        if let resource {
            vcores = vcores.map { $0 + sign * resource.vcores }
            memory = memory.map { $0 + sign * resource.memory }
            if isAllocation {
                peakVcores = peakVcores.flatMap { p in vcores.map { max(p, $0) } }
                peakMemory = peakMemory.flatMap { p in memory.map { max(p, $0) } }
            }
        } else {
            (vcores, peakVcores, memory, peakMemory) = (nil, nil, nil, nil)
        }
    }
}
