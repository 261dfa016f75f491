import Crypto
import Foundation
import LedgerModel

/// `findings.ocsf.json`: every finding as an OCSF 1.1.0 record, the format AWS Security Hub and
/// Security Lake take.
///
/// A finding that says a session or a setting broke the organisation's identity or
/// background-session policy is a Compliance Finding (class 2003): a check against a standard,
/// failed. One that says something happened that someone should look into (a role taken from
/// another account, a log that may have been altered or is missing, an app left running) is a
/// Detection Finding (2004). The subject is the finding's resource; each piece of evidence (a
/// CloudTrail `eventID`, a log file and line) is an observable.
///
/// Written from the ledger's findings as SQLite gives them (on a connection of its own), one record
/// a line inside the array, keys in sorted order, by hand: a year can hold hundreds of thousands of findings, which Foundation's
/// JSON writers hold whole (gigabytes) and take minutes over; the record's shape is fixed, so
/// its keys are written in order and only its strings need escaping.
struct OCSFSink {
    static let version = "1.1.0"

    /// What each finding code is in OCSF: its class, a title, and what its subject names.
    static let codes: [String: (classUID: Int, title: String, resource: String)] = [
        "unexpected_background": (2003, "Session ran in background although policy forbade it", "Livy session"),
        "background_over_limit": (2003, "Session ran in background longer than the limit in force", "Livy session"),
        "identity_missing": (2003, "Session ran without a user identity", "Livy session"),
        "identity_unresolved": (2003, "Session's user maps to no Identity Center user", "Livy session"),
        "uncapped_session_on_shared_cluster": (2003, "Uncapped session on a shared cluster", "Livy session"),
        "policy_change": (2004, "Background-session policy changed", "Identity Center application"),
        "cross_account_role": (2004, "Role assumed from another account", "IAM role"),
        "unverified_logs": (2004, "CloudTrail log not verified by its digest", "CloudTrail log file"),
        "coverage_gap": (2004, "Hour with no CloudTrail log", "CloudTrail account and region"),
        "orphaned_yarn_app": (2004, "YARN application running after its Livy session ended", "YARN application"),
        "start_starved": (2004, "Session start held back by another user's session", "Livy session"),
        "job_cut_by_session": (2004, "SageMaker job ended by the user's session", "SageMaker job"),
    ]

    /// The ledger's severities as OCSF's `severity_id` and caption.
    static let severities: [String: (Int, String)] = [
        "high": (4, "High"), "medium": (3, "Medium"), "low": (2, "Low"), "info": (1, "Informational"),
    ]

    static let standard = "session-ledger: IAM Identity Center identity propagation and user background sessions"

    let path: String
    private let temporary: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [UInt8] = []
    private let time: Int64
    private let toolVersion: String
    private let evidence: EvidenceIndex
    private var records = 0
    private var closed = false
    /// The previous record's code and the hash of its subject, detail and evidence, and how many
    /// had them.
    private var previousCode = ""
    private var kind: (classUID: Int, title: String, resource: String) = (0, "", "")
    private var previousDigest: [UInt8] = []
    private var repeats = 0
    /// The last log file cited: a run of findings usually cites one file.
    private var lastPath: String?

    /// `time` (epoch ms) is when the data the findings come from ends.
    init(path: String, time: Int64, toolVersion: String, evidence: EvidenceIndex) throws(LedgerError) {
        self.path = path
        temporary = path + ".partial"
        guard let file = fopen(temporary, "wb") else {
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
        self.file = file
        self.time = time
        self.toolVersion = toolVersion
        self.evidence = evidence
        buffer.reserveCapacity(1 << 20 + 8192)
        buffer += "[".utf8
    }

    /// One finding.
    mutating func record(severity: String, code: String, subject: String, detail: String, cited: String)
        throws(LedgerError)
    {
        // Findings come in runs of one code: its kind is looked up once a run.
        if code != previousCode {
            kind = Self.codes[code] ?? (2004, code.replacingOccurrences(of: "_", with: " "), "resource")
        }
        let compliance = kind.classUID == 2003
        let (severityID, severityName) = Self.severities[severity] ?? (0, "Unknown")
        // The id: the code and a hash of what the finding says, so that it stays the finding's own
        // when others come and go; numbered only among findings identical in every part (those
        // are stored side by side).
        var hasher = SHA256()
        for var part in [subject, detail, cited] {
            part.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
        }
        let digest = hasher.finalize()
        let same = code == previousCode && Array(digest) == previousDigest
        repeats = same ? repeats + 1 : 1
        previousCode = code
        previousDigest = Array(digest)

        buffer.append(contentsOf: records == 0 ? Self.first : Self.next)
        records += 1
        if compliance {
            buffer.append(contentsOf: Self.complianceHead)
            string(code)
            buffer.append(contentsOf: Self.complianceStandards)
        } else {
            buffer.append(contentsOf: Self.detectionHead)
        }
        buffer.append(contentsOf: Self.desc)
        string(detail)
        buffer.append(contentsOf: Self.title)
        string(kind.title)
        buffer.append(contentsOf: Self.types)
        string(code)
        buffer.append(contentsOf: Self.uid)
        body(code)
        buffer.append(0x3A)
        for byte in digest.prefix(16) {
            buffer.append(Self.hex[Int(byte >> 4)])
            buffer.append(Self.hex[Int(byte & 0xF)])
        }
        if repeats > 1 {
            buffer.append(0x2F)
            appendInteger(Int64(repeats))
        }
        buffer.append(0x22)
        buffer.append(contentsOf: Self.metadata)
        string(toolVersion)
        buffer.append(contentsOf: Self.observables)
        var first = true
        for piece in evidence.pieces(cited, cache: &lastPath) {
            if !first { buffer.append(0x2C) }
            first = false
            switch piece {
            case .event(let id):
                observable(Self.eventObservable, id)
            case .file(let path, let line):
                // A file alone is a File Name; a file and line, the line's place in it.
                if let line {
                    buffer.append(contentsOf: Self.lineObservable)
                    buffer.append(0x22)
                    body(path)
                    buffer.append(0x3A)
                    body(line)
                    buffer += [0x22, 0x7D]
                } else {
                    observable(Self.fileObservable, path)
                }
            }
        }
        buffer.append(contentsOf: compliance ? Self.resource : Self.resources)
        string(kind.resource)
        buffer.append(contentsOf: Self.resourceUID)
        string(subject)
        buffer.append(contentsOf: compliance ? Self.resourceEnd : Self.resourcesEnd)
        string(severityName)
        buffer.append(contentsOf: Self.severityID)
        appendInteger(Int64(severityID))
        buffer.append(contentsOf: Self.statusTime)
        appendInteger(time)
        buffer.append(contentsOf: compliance ? Self.complianceTail : Self.detectionTail)
        if buffer.count >= 1 << 20 { try flush() }
    }

    // The record's fixed parts, as bytes once (keys in sorted order).
    static let first = Array("\n".utf8)
    static let next = Array(",\n".utf8)
    static let complianceHead = Array(
        #"{"activity_id":1,"activity_name":"Create","category_name":"Findings","category_uid":2,"class_name":"Compliance Finding","class_uid":2003,"compliance":{"control":"#
            .utf8)
    static let complianceStandards = Array(
        (#","standards":[""# + standard + #""],"status":"Fail","status_id":3}"#).utf8)
    static let detectionHead = Array(
        #"{"activity_id":1,"activity_name":"Create","category_name":"Findings","category_uid":2,"class_name":"Detection Finding","class_uid":2004"#
            .utf8)
    static let desc = Array(#","finding_info":{"desc":"#.utf8)
    static let title = Array(#","title":"#.utf8)
    static let types = Array(#","types":["#.utf8)
    static let uid = Array(#"],"uid":"session-ledger:"#.utf8)
    static let metadata = Array(
        #"},"metadata":{"log_name":"findings","product":{"name":"session-ledger","vendor_name":"session-ledger","version":"#
            .utf8)
    static let observables = Array((#"},"version":""# + version + #""},"observables":["#).utf8)
    static let eventObservable = Array(
        #"{"name":"evidence.cloudtrail_event_uid","type":"Other","type_id":99,"value":"#.utf8)
    static let lineObservable = Array(#"{"name":"evidence.log_line","type":"Other","type_id":99,"value":"#.utf8)
    static let fileObservable = Array(#"{"name":"evidence.log_file","type":"File Name","type_id":7,"value":"#.utf8)
    static let resource = Array(#"],"resource":{"type":"#.utf8)
    static let resources = Array(#"],"resources":[{"type":"#.utf8)
    static let resourceUID = Array(#","uid":"#.utf8)
    static let resourceEnd = Array(#"},"severity":"#.utf8)
    static let resourcesEnd = Array(#"}],"severity":"#.utf8)
    static let severityID = Array(#","severity_id":"#.utf8)
    static let statusTime = Array(#","status":"New","status_id":1,"time":"#.utf8)
    static let complianceTail = Array(#","type_name":"Compliance Finding: Create","type_uid":200301}"#.utf8)
    static let detectionTail = Array(#","type_name":"Detection Finding: Create","type_uid":200401}"#.utf8)

    private mutating func appendInteger(_ v: Int64) {
        if v < 0 { buffer.append(0x2D) }
        CellFormat.appendDigits(v.magnitude, minimumCount: 1, to: &buffer)
    }

    private mutating func observable(_ head: [UInt8], _ value: String) {
        buffer.append(contentsOf: head)
        string(value)
        buffer.append(0x7D)
    }

    /// A JSON string (RFC 8259): quotes, backslashes and control characters escaped; a string
    /// with none of them (nearly all) is copied whole.
    private mutating func string(_ s: String) {
        buffer.append(0x22)
        body(s)
        buffer.append(0x22)
    }

    /// ``string(_:)`` without its quotes.
    private mutating func body(_ s: String) {
        var s = s
        s.withUTF8 { bytes in
            guard bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
                buffer.append(contentsOf: bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case 0x22: buffer += [0x5C, 0x22]
                case 0x5C: buffer += [0x5C, 0x5C]
                case 0x0A: buffer += [0x5C, 0x6E]
                case 0x0D: buffer += [0x5C, 0x72]
                case 0x09: buffer += [0x5C, 0x74]
                case 0..<0x20:
                    buffer += [0x5C, 0x75, 0x30, 0x30, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]]
                default: buffer.append(byte)
                }
            }
        }
    }

    static let hex = Array("0123456789abcdef".utf8)

    private mutating func flush() throws(LedgerError) {
        let written = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == buffer.count else {
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Ends the array and renames the file into place.
    mutating func finish() throws(LedgerError) {
        buffer += (records == 0 ? "]\n" : "\n]\n").utf8
        try flush()
        closed = true
        guard fclose(file) == 0 else {
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
        if rename(temporary, path) != 0 {
            throw .input(path: path, message: "cannot write the report: \(String(cString: strerror(errno)))")
        }
    }

    /// Leaves no partial file behind after a failure.
    func abandon() {
        if !closed { fclose(file) }
        unlink(temporary)
    }
}
