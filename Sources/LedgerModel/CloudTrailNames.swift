import Foundation

/// What CloudTrail's S3 key layout says (formats.md §3.1), shared by the digest check and the
/// integrity findings.
public enum CloudTrailNames {
    /// The format name of a scale-out extract's part file (`scale-out/cloudtrail_extract.py`):
    /// stored so that an unchanged part is not read again, and counted as no cluster's file and
    /// in no data-quality row of its own, because the trail files it holds are stored as files.
    public static let extractFormat = "cloudtrail-extract"

    /// How long after the newest digest's end a log file may wait for its own digest.
    ///
    /// CloudTrail delivers each hour's digest an hour or more after the hour, so a nightly run
    /// finds the last hours' logs without theirs; a file still without one this long after the
    /// newest digest is not waiting: its trail's digests stopped or were not synced.
    public static let digestGraceSeconds: Int64 = 6 * 3600

    /// The part of a path or S3 key from `AWSLogs/` on (the same in S3 and in a synced copy),
    /// else the file name.
    public static func objectKey(_ path: String) -> String {
        if let r = path.range(of: "AWSLogs/", options: .backwards) { return String(path[r.lowerBound...]) }
        return String(path.split(separator: "/").last ?? Substring(path))
    }

    /// The delivery time in a log file's name (`…_YYYYMMDDTHHmmZ_…`, or without the `_` before
    /// the unique string, as one AWS example has it) as `YYYY-MM-DDTHH:mm:00Z`.
    public static func deliveryTime(_ path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        for part in name.split(separator: "_") where part.count >= 14 {
            let u = Array(part.utf8)
            guard u[8] == UInt8(ascii: "T"), u[13] == UInt8(ascii: "Z"),
                u[0..<8].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), u[9..<13].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
            else { continue }
            let s = String(decoding: u, as: UTF8.self)
            func at(_ i: Int, _ n: Int) -> Substring { s.dropFirst(i).prefix(n) }
            return "\(at(0, 4))-\(at(4, 2))-\(at(6, 2))T\(at(9, 2)):\(at(11, 2)):00Z"
        }
        return nil
    }
}
