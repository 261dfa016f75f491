import LedgerDiscover
import LedgerFormats
import LedgerModel
import LedgerStore

/// What an ingest will read: every input file in byte order of its path, and, beside the
/// manifest, which are unchanged and which are read (again).
struct IngestPlan {
    /// A file to read, with the settings of the input it was found under.
    struct Job: Sendable {
        let index: Int
        let file: DiscoveredFile
        let format: String?
        let context: InputContext
        /// What the manifest has for this path, if anything.
        var previous: ManifestEntry? = nil
        /// Whether a new plain file's hash is left to ``HashLane`` (the run's last files).
        var deferHash = false
        /// The path its parser is told, when it is not the one read: a file an extract carried
        /// whole is read from scratch, and parsed as its source path.
        var parsePath: String? = nil
    }

    /// Every input file, in byte order of its path (`index` is its place).
    let jobs: [Job]
    /// What happened to each file, as far as it is known before reading: `unchanged` (or, once
    /// ``Ingestor`` has found them, `moved`).
    var reports: [FileReport?]
    /// The files to read, in input order.
    var toRead: [Job] = []
    /// Stored files an earlier revision of their format's parser read: read again, whole.
    var reread = Set<String>()

    /// Checks everything that can be wrong with the request before reading a byte, then lists
    /// the files under every input (a file claimed by an earlier input is not listed again).
    static func discover(_ inputs: [Configuration.Input], configuration: Configuration) throws(LedgerError) -> [Job] {
        _ = try configuration.deriveSettings()
        for input in inputs {
            if let f = input.format { _ = try FormatRegistry.format(named: f) }
            _ = try LocalTimeConverter(identifier: input.timeZone ?? configuration.timeZone)
        }
        var jobs: [Job] = []
        var claimed = Set<String>()
        for input in inputs {
            for file in try InputWalker.discover([input.path]) where claimed.insert(file.path).inserted {
                var context = file.context
                if let cluster = input.cluster { context.clusterID = cluster }
                context.timeZone = input.timeZone ?? configuration.timeZone
                jobs.append(Job(index: jobs.count, file: file, format: input.format, context: context))
            }
        }
        jobs.sort { $0.file.path.utf8.lexicographicallyPrecedes($1.file.path.utf8) }
        return jobs.enumerated().map { Job(index: $0, file: $1.file, format: $1.format, context: $1.context) }
    }

    /// Sorts `jobs` against the manifest: a file whose size and mtime are as stored is not opened
    /// again, unless an earlier parser read it or it could not be read.
    init(jobs: [Job], manifest: [String: ManifestEntry]) {
        self.jobs = jobs
        reports = [FileReport?](repeating: nil, count: jobs.count)
        for job in jobs {
            let known = manifest[job.file.path]
            let outdated = known.map(Self.readByEarlierParser) ?? false
            // An unreadable file is tried again (permissions change without touching mtime).
            if let known, known.size == job.file.size, known.mtimeNanos == job.file.mtimeNanos,
                known.status != .unreadable,
                !outdated
            {
                reports[job.index] = FileReport(
                    path: job.file.path, action: .unchanged, status: known.status, format: nil,
                    records: 0, duplicates: 0, rejected: 0, detail: nil)
            } else {
                var job = job
                if outdated {
                    reread.insert(job.file.path)
                } else {
                    job.previous = known
                }
                toRead.append(job)
            }
        }
    }

    /// The paths found unchanged.
    var unchanged: Set<String> { Set(reports.compactMap { $0?.path }) }

    /// Whether a stored file was read by an earlier revision of its format's parser than this
    /// build's (``LogFormat/revision``): its rows may lack what the parser reads now.
    ///
    /// A copy (`duplicate`) holds no rows and is left as it is.
    static func readByEarlierParser(_ entry: ManifestEntry) -> Bool {
        guard entry.status != .duplicate, let format = entry.format,
            let revision = FormatRegistry.revision(of: format)
                ?? (format == ExtractReader.format ? ExtractReader.revision : nil)
        else { return false }
        return entry.parserRevision < revision
    }
}
