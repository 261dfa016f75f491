import LedgerModel

/// Reads context from the directory layouts that AWS writes logs in.
///
/// - EMR log archive: `…/<cluster-id>/node/<instance-id>/applications/<app>/<file>`, cluster ids
///   `j-` + upper-case letters and digits, instance ids `i-` + hex.
/// - CloudTrail: `…/AWSLogs/[<o-org-id>/]<account-id>/CloudTrail[-Digest]/<region>/YYYY/MM/DD/…`.
/// - EMR's default log bucket, as a folder of a synced copy: `…/aws-logs-<account-id>-<region>/…`
///   (the account and region of the clusters whose logs are under it).
///
/// Regions are taken as written, never checked against a list (real data has made-up ones).
public enum LayoutContext {
    public static func infer(path: String) -> InputContext {
        var context = InputContext()
        let parts = path.split(separator: "/").map(String.init)
        for (i, part) in parts.enumerated() {
            if isClusterID(part) {
                context.clusterID = part
                if i + 2 < parts.count, parts[i + 1] == "node", isInstanceID(parts[i + 2]) {
                    context.instanceID = parts[i + 2]
                }
            }
            if part.hasPrefix("aws-logs-"), let (account, region) = logBucket(part) {
                context.accountID = account
                context.region = region
            }
            if part == "AWSLogs" {
                var j = i + 1
                if j < parts.count, parts[j].hasPrefix("o-") { j += 1 }
                if j + 2 < parts.count, isAccountID(parts[j]), parts[j + 1].hasPrefix("CloudTrail") {
                    context.accountID = parts[j]
                    context.region = parts[j + 2]
                }
            }
        }
        return context
    }

    /// `j-` followed by 8–16 upper-case letters or digits (EMR cluster ids are 13 today).
    static func isClusterID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count >= 10, u.count <= 18, u[0] == UInt8(ascii: "j"), u[1] == UInt8(ascii: "-") else {
            return false
        }
        return u[2...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }
    }

    /// `i-` followed by 8 or 17 hex digits.
    static func isInstanceID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 10 || u.count == 19, u[0] == UInt8(ascii: "i"), u[1] == UInt8(ascii: "-") else {
            return false
        }
        return u[2...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// `aws-logs-<account-id>-<region>`, the bucket EMR creates for a cluster's logs by default.
    static func logBucket(_ s: String) -> (account: String, region: String)? {
        let rest = s.dropFirst(9)
        let account = String(rest.prefix(12))
        guard isAccountID(account), rest.dropFirst(12).first == "-" else { return nil }
        let region = String(rest.dropFirst(13))
        return region.isEmpty ? nil : (account, region)
    }

    static func isAccountID(_ s: String) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
