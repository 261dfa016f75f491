import Crypto
import Foundation

/// SHA-256 as lower-case hex, for the digests a report prints (config, input manifest).
public enum Fingerprint {
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// SHA-256 of the first `length` bytes of a file; nil when it has fewer or cannot be read.
    public static func sha256Hex(path: String, length: Int) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        var left = length
        while left > 0 {
            guard let data = try? handle.read(upToCount: min(left, 1 << 20)), !data.isEmpty else { return nil }
            hasher.update(data: data)
            left -= data.count
        }
        return hex(hasher.finalize())
    }

    public static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The byte at `offset` of a file.
    public static func byte(path: String, at offset: Int) -> UInt8? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.read(upToCount: 1) else {
            return nil
        }
        return data.first
    }
}
