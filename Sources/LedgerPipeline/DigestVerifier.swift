import Foundation
import LedgerDiscover
import LedgerFormats
import LedgerModel

/// What `verify` found about a set of CloudTrail log and digest files.
public struct VerifyReport: Sendable {
    public enum Kind: String, Sendable {
        /// A log file whose uncompressed content does not hash to what its digest recorded.
        case changed
        /// A log file a digest lists that is not in the given paths.
        case missing
        /// A log file, delivered in an hour that digests cover, that no digest lists.
        case notCovered = "not_covered"
        /// A digest that the next digest's `previousDigestS3Object` names, not in the given paths.
        case digestMissing = "digest_missing"
        /// A digest whose content does not hash to what the next digest recorded.
        case digestChanged = "digest_changed"
        /// Two digests of one trail that do not meet in time, with nothing else to explain it.
        case chainGap = "chain_gap"
        /// A digest file that cannot be read.
        case digestUnreadable = "digest_unreadable"
    }

    public struct Finding: Sendable, Equatable {
        public var kind: Kind
        /// The local file, or the S3 object when there is no local file.
        public var subject: String
        public var detail: String
    }

    public var logFiles = 0
    public var digests = 0
    /// Log files whose hash matched their digest.
    public var verified = 0
    /// Log files delivered after the newest digest of their trail: not covered yet.
    public var pending = 0
    public var findings: [Finding] = []
}

/// Checks CloudTrail log files against their digests (formats.md §3.10): every listed file is
/// present and hashes (SHA-256 of the uncompressed content) to the recorded value; every
/// digest's predecessor is present and hashes to what the successor recorded; no log file of a
/// covered hour is missing from the digests.
///
/// Signatures are not checked: CloudTrail keeps them in S3 object metadata, which a synced
/// directory does not have. A scale-out extract's logs are checked by the hashes its manifest
/// lines carry (a whole file's by its bytes).
public enum DigestVerifier {
    public static func verify(paths: [String]) throws(LedgerError) -> VerifyReport {
        var report = VerifyReport()
        struct Log {
            let path: String
            let hash: String?
            let key: String
            let delivered: String?
        }
        struct Digest {
            let path: String
            let digest: CloudTrailDigest
            let hash: String?
            let key: String
        }
        var logs: [Log] = []
        var digests: [Digest] = []

        for file in try InputWalker.discover(paths) {
            // Recognised as the ingest recognises it: the same head, the same answer.
            guard case .success(let what) = FileReader.recognise(path: file.path, extracts: true) else { continue }
            guard case .format(let recognised) = what else {
                // A scale-out extract's part file: the logs it holds, under their source paths.
                for held in ExtractReader.heldLogs(path: file.path) {
                    logs.append(
                        Log(
                            path: held.path, hash: held.contentSHA256, key: objectKey(held.path),
                            delivered: deliveryTime(held.path)))
                }
                continue
            }
            guard let format = recognised else { continue }
            if format == CloudTrailFormat.self {
                let r = InputDecoder.decode(path: file.path, hashing: false, hashingDecoded: true) { _ in }
                logs.append(
                    Log(
                        path: file.path, hash: r.decodedSHA256, key: objectKey(file.path),
                        delivered: deliveryTime(file.path)))
            } else if format == CloudTrailDigestFormat.self {
                var content: [UInt8] = []
                let r = InputDecoder.decode(path: file.path, hashing: false, hashingDecoded: true) {
                    content.append(contentsOf: $0)
                }
                do throws(CloudTrailDigest.Problem) {
                    let d = try CloudTrailDigest.parse(Data(content))
                    digests.append(Digest(path: file.path, digest: d, hash: r.decodedSHA256, key: objectKey(file.path)))
                } catch {
                    report.findings.append(.init(kind: .digestUnreadable, subject: file.path, detail: error.reason))
                }
            }
        }
        report.logFiles = logs.count
        report.digests = digests.count

        let logByKey = Dictionary(logs.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let digestByKey = Dictionary(digests.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var covered = Set<String>()
        for d in digests.sorted(by: { $0.digest.digestEndTime < $1.digest.digestEndTime }) {
            for f in d.digest.logFiles {
                let key = objectKey(f.s3Object)
                covered.insert(key)
                guard let log = logByKey[key] else {
                    report.findings.append(
                        .init(kind: .missing, subject: f.s3Object, detail: "listed in \(d.path), not found"))
                    continue
                }
                if log.hash == f.hashValue {
                    report.verified += 1
                } else {
                    report.findings.append(
                        .init(
                            kind: .changed, subject: log.path,
                            detail:
                                "SHA-256 of its content is \(log.hash ?? "unreadable"), \(d.path) recorded \(f.hashValue)"
                        ))
                }
            }
        }

        // The chain, per trail (the digest object name without its time).
        let trails = Dictionary(grouping: digests, by: { trailKey($0.key) })
        var newestEnd: [String: String] = [:]  // account/region → newest digest end
        for (_, chain) in trails.sorted(by: { $0.key < $1.key }) {
            let ordered = chain.sorted { $0.digest.digestEndTime < $1.digest.digestEndTime }
            for (i, d) in ordered.enumerated() {
                let scope = scopeKey(d.key)
                if (newestEnd[scope] ?? "") < d.digest.digestEndTime { newestEnd[scope] = d.digest.digestEndTime }
                guard let previous = d.digest.previousDigestS3Object else { continue }
                let previousKey = objectKey(previous)
                if let p = digestByKey[previousKey] {
                    if let want = d.digest.previousDigestHashValue, p.hash != want {
                        report.findings.append(
                            .init(
                                kind: .digestChanged, subject: p.path,
                                detail:
                                    "SHA-256 of its content is \(p.hash ?? "unreadable"), \(d.path) recorded \(want)"))
                    }
                } else {
                    report.findings.append(
                        .init(
                            kind: .digestMissing, subject: previous,
                            detail: "named as the previous digest by \(d.path), not found"))
                }
                if i > 0, ordered[i - 1].digest.digestEndTime != d.digest.digestStartTime,
                    digestByKey[previousKey] != nil
                {
                    report.findings.append(
                        .init(
                            kind: .chainGap, subject: d.path,
                            detail:
                                "starts \(d.digest.digestStartTime), the digest before it ends \(ordered[i - 1].digest.digestEndTime)"
                        ))
                }
            }
        }

        // Listed in no digest: pending while its digest may still come (delivered after the newest
        // digest, for a while); else not covered (as the derive's `ct_file_digest` says).
        for log in logs where !covered.contains(log.key) {
            guard let end = newestEnd[scopeKey(log.key)] else {
                report.findings.append(
                    .init(
                        kind: .notCovered, subject: log.path,
                        detail: "no digest of its account and region among the paths"))
                continue
            }
            if let delivered = log.delivered, delivered < end {
                report.findings.append(
                    .init(
                        kind: .notCovered, subject: log.path,
                        detail: "delivered \(delivered), before the newest digest (\(end)), but listed in none"))
            } else if let delivered = log.delivered, let at = UTCTime.seconds(delivered),
                let last = UTCTime.seconds(end),
                at >= last + CloudTrailNames.digestGraceSeconds
            {
                report.findings.append(
                    .init(
                        kind: .notCovered, subject: log.path,
                        detail:
                            "delivered \(delivered), more than \(CloudTrailNames.digestGraceSeconds / 3600) h after the newest digest (\(end)): the digests stopped"
                    ))
            } else {
                report.pending += 1
            }
        }
        report.findings.sort { ($0.kind.rawValue, $0.subject) < ($1.kind.rawValue, $1.subject) }
        return report
    }

    static func objectKey(_ path: String) -> String { CloudTrailNames.objectKey(path) }

    /// A digest's trail: its key without the `_YYYYMMDDTHHmmssZ.json.gz` time.
    static func trailKey(_ key: String) -> String {
        let name = URL(fileURLWithPath: key).lastPathComponent
        guard let underscore = name.lastIndex(of: "_") else { return name }
        return String(name[..<underscore])
    }

    /// `AWSLogs/…/<account>/CloudTrail[-Digest]/<region>` → `account/region`.
    static func scopeKey(_ key: String) -> String {
        let parts = key.split(separator: "/").map(String.init)
        guard let ct = parts.firstIndex(where: { $0.hasPrefix("CloudTrail") }), ct >= 1, ct + 1 < parts.count else {
            return ""
        }
        return parts[ct - 1] + "/" + parts[ct + 1]
    }

    static func deliveryTime(_ path: String) -> String? { CloudTrailNames.deliveryTime(path) }
}
