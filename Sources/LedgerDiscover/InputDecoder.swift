import CZlib
import Crypto
import Foundation
import LedgerModel

/// Why a file could not be decoded to its end.
///
/// The bytes decoded before the problem were delivered; the problem decides the file's status.
public enum DecodeProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read (errno text).
    case unreadable(String)
    /// The gzip stream ends inside a member (a cut download or a file still being written).
    case truncated(rawBytes: Int)
    /// Bytes that zlib rejects, or non-gzip bytes after the last member.
    case corrupt(offset: Int, message: String)

    public var description: String {
        switch self {
        case .unreadable(let why): "cannot read: \(why)"
        case .truncated(let raw): "truncated gzip: the stream ends inside a member after \(raw) bytes"
        case .corrupt(let offset, let why): "corrupt gzip at byte \(offset): \(why)"
        }
    }
}

/// What reading a file found: sizes, hash, compression and the problem, if any.
public struct DecodeResult: Sendable, Equatable {
    public var compression: Compression = .none
    /// gzip members seen complete (a multi-member file has several).
    public var gzipMembers = 0
    /// Bytes read from disk.
    public var rawBytes = 0
    /// Bytes delivered after inflating.
    public var decodedBytes = 0
    /// Lower-case hex SHA-256 of the bytes on disk; nil when hashing was not asked for or the
    /// file could not be read to its end.
    public var sha256: String?
    /// Lower-case hex SHA-256 of the decoded (uncompressed) content, when asked for: what
    /// CloudTrail digests record.
    public var decodedSHA256: String?
    public var problem: DecodeProblem?
    /// True when reading stopped at the caller's decoded-byte limit.
    public var stoppedAtLimit = false
    /// True when the file was plain and its hashes were left to the caller (`deferPlainHash`).
    public var hashDeferred = false
}

/// Read and inflate buffers, kept for the next file instead of freed.
///
/// glibc hands out a 256 KiB block by `mmap` and takes it back by `munmap`, so a new buffer per
/// file (a trail is tens of thousands of small files, each read twice) cost page faults on every
/// first touch.
final class ChunkBuffers: @unchecked Sendable {
    static let shared = ChunkBuffers()
    private let lock = NSLock()
    private var free: [UnsafeMutableRawBufferPointer] = []
    /// Kept at most: two buffers (read, inflate) for each of a few threads.
    private let keep = 16

    /// A buffer of `size` bytes (a kept one when `size` is the default chunk size).
    func take(_ size: Int) -> UnsafeMutableRawBufferPointer {
        if size == InputDecoder.defaultChunkSize {
            lock.lock()
            defer { lock.unlock() }
            if let buffer = free.popLast() { return buffer }
        }
        return .allocate(byteCount: size, alignment: 16)
    }

    /// Gives a buffer from ``take(_:)`` back.
    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        if buffer.count == InputDecoder.defaultChunkSize {
            lock.lock()
            defer { lock.unlock() }
            if free.count < keep {
                free.append(buffer)
                return
            }
        }
        buffer.deallocate()
    }
}

/// Streams a file's content through a fixed buffer, inflating gzip (recognised by its magic
/// bytes, any number of members) through zlib and hashing the on-disk bytes in the same pass.
///
/// Memory is two fixed buffers whatever the file's size. A damaged file never throws: the
/// bytes before the damage are delivered and ``DecodeResult/problem`` says what happened.
public enum InputDecoder {
    /// Default size of the read and inflate buffers.
    public static let defaultChunkSize = 256 * 1024

    /// Reads `path` and calls `body` with each piece of decoded content, in order.
    ///
    /// - Parameters:
    ///   - path: the file to read.
    ///   - hashing: compute the SHA-256 of the bytes on disk (the whole file is read even
    ///     after a gzip error, so the hash always covers the file).
    ///   - hashingDecoded: compute the SHA-256 of the decoded content
    ///     (``DecodeResult/decodedSHA256``), kept only when the file decoded without a problem.
    ///   - deferPlainHash: a plain file is not hashed here (``DecodeResult/hashDeferred``): its
    ///     hash is the same whole-file hash of `rawBytes` bytes, computed later off this thread.
    ///     A gzip file is hashed as asked.
    ///   - limit: stop once this many decoded bytes were delivered (for sniffing a format).
    ///   - offset: start at this byte of a plain (not gzip) file; nothing is hashed then.
    ///   - chunkSize: buffer size; tests vary it to prove the result does not depend on it.
    ///   - body: called with each piece of decoded content; the buffer is reused, so a piece is
    ///     valid only during the call.
    /// - Returns: what reading found: sizes, hashes, compression and the problem, if any.
    public static func decode(
        path: String, hashing: Bool, hashingDecoded: Bool = false, deferPlainHash: Bool = false, limit: Int? = nil,
        from offset: Int = 0,
        chunkSize: Int = defaultChunkSize, _ body: (UnsafeRawBufferPointer) -> Void
    ) -> DecodeResult {
        var result = DecodeResult()
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            result.problem = .unreadable(String(cString: strerror(errno)))
            return result
        }
        defer { close(fd) }

        let input = ChunkBuffers.shared.take(chunkSize)
        defer { ChunkBuffers.shared.give(input) }
        var hasher = hashing ? SHA256() : nil
        var decodedHasher = hashingDecoded ? SHA256() : nil
        // The magic bytes decide, read apart so that a short first read cannot hide them.
        var magic: (UInt8, UInt8) = (0, 0)
        let gzip: GzipInflater? =
            withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, 0) } == 2
                && magic == (0x1F, 0x8B) ? GzipInflater(outputSize: chunkSize) : nil
        if gzip != nil { result.compression = .gzip }
        if gzip == nil && deferPlainHash && offset == 0 {
            hasher = nil
            decodedHasher = nil
            result.hashDeferred = true
        }
        // A plain file's content is its bytes: hash them once.
        let contentIsBytes = gzip == nil && hasher != nil && decodedHasher != nil
        if contentIsBytes { decodedHasher = nil }
        if offset > 0 {
            guard gzip == nil, lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
                result.problem = .unreadable("cannot read from byte \(offset)")
                return result
            }
            hasher = nil
            decodedHasher = nil
        }
        var failed = false  // stop delivering after a gzip error, keep hashing

        while true {
            let n = read(fd, input.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                result.problem = .unreadable(String(cString: strerror(errno)))
                result.sha256 = nil
                return result
            }
            if n == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: input[0..<n])
            hasher?.update(bufferPointer: chunk)
            defer { result.rawBytes += n }

            if failed { continue }

            if let gzip {
                let outcome = gzip.feed(chunk, baseOffset: result.rawBytes) { out in
                    if let limit, result.decodedBytes >= limit { return false }
                    result.decodedBytes += out.count
                    decodedHasher?.update(bufferPointer: out)
                    body(out)
                    // Stop as soon as the limit is reached, not after inflating one more buffer
                    // that nobody sees (for a small gzipped file, that was the rest of it).
                    if let limit, result.decodedBytes >= limit { return false }
                    return true
                }
                result.gzipMembers = gzip.completedMembers
                switch outcome {
                case .needMore: break
                case .stopped:
                    result.stoppedAtLimit = true
                    return result
                case .failed(let offset, let message):
                    result.problem = .corrupt(offset: offset, message: message)
                    failed = true
                }
            } else {
                if let limit, result.decodedBytes >= limit {
                    result.stoppedAtLimit = true
                    return result
                }
                result.decodedBytes += n
                decodedHasher?.update(bufferPointer: chunk)
                body(chunk)
            }
        }
        if let g = gzip, !failed, g.isInsideMember {
            result.problem = .truncated(rawBytes: result.rawBytes)
        }
        if let hasher { result.sha256 = hex(hasher.finalize()) }
        if let decodedHasher, result.problem == nil { result.decodedSHA256 = hex(decodedHasher.finalize()) }
        if contentIsBytes, result.problem == nil { result.decodedSHA256 = result.sha256 }
        return result
    }
}

/// Lower-case hex of a digest.
private func hex(_ digest: SHA256.Digest) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in digest {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// A zlib inflate stream that walks gzip member after member.
///
/// Not Sendable and never shared: it lives inside one ``InputDecoder/decode`` call.
final class GzipInflater {
    enum Outcome {
        case needMore
        case stopped
        case failed(offset: Int, message: String)
    }

    private var stream = z_stream()
    private let output: UnsafeMutableRawBufferPointer
    private var initialised = false
    /// Inside a member: started, end marker not yet seen.
    private(set) var isInsideMember = false
    /// After the last member, only zero padding has been seen (tolerated, as gzip does).
    private var inPadding = false
    private(set) var completedMembers = 0

    init(outputSize: Int) {
        output = ChunkBuffers.shared.take(outputSize)
    }

    deinit {
        if initialised { inflateEnd(&stream) }
        ChunkBuffers.shared.give(output)
    }

    /// Inflates one chunk of raw bytes; `deliver` returns false to stop early.
    func feed(
        _ chunk: UnsafeRawBufferPointer, baseOffset: Int,
        deliver: (UnsafeRawBufferPointer) -> Bool
    ) -> Outcome {
        guard let base = chunk.baseAddress else { return .needMore }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(chunk.count)

        while stream.avail_in > 0 {
            let consumed = chunk.count - Int(stream.avail_in)
            let offset = baseOffset + consumed
            if !isInsideMember {
                // Between members: another member, zero padding, or junk.
                let next = chunk[consumed]
                if inPadding || (completedMembers > 0 && next != 0x1F) {
                    if next == 0 {
                        inPadding = true
                        stream.next_in += 1
                        stream.avail_in -= 1
                        continue
                    }
                    return .failed(offset: offset, message: "unexpected bytes after gzip member \(completedMembers)")
                }
                if !initialised {
                    // 15 + 16: a 32 KiB window and a gzip (not zlib) header.
                    guard czlib_inflate_init2(&stream, 15 + 16) == Z_OK else {
                        return .failed(offset: offset, message: "zlib could not start")
                    }
                    initialised = true
                } else {
                    inflateReset(&stream)
                }
                isInsideMember = true
            }
            // Inflate until this member ends or the input is used up, draining the output.
            while true {
                stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(output.count)
                let availableBefore = stream.avail_in
                let rc = inflate(&stream, Z_NO_FLUSH)
                let produced = output.count - Int(stream.avail_out)
                if rc == Z_BUF_ERROR && produced == 0 && stream.avail_in == availableBefore {
                    // No progress possible: zlib wants more input.
                    if stream.avail_in == 0 { return .needMore }
                    let at = baseOffset + chunk.count - Int(stream.avail_in)
                    return .failed(offset: at, message: "zlib made no progress")
                }
                if produced > 0 && !deliver(UnsafeRawBufferPointer(rebasing: output[0..<produced])) {
                    return .stopped
                }
                if rc == Z_STREAM_END {
                    isInsideMember = false
                    completedMembers += 1
                    break
                }
                if rc == Z_OK || rc == Z_BUF_ERROR {
                    // Output full: go round again; otherwise the input is used up.
                    if stream.avail_out == 0 { continue }
                    if stream.avail_in == 0 { return .needMore }
                    continue
                }
                let at = baseOffset + chunk.count - Int(stream.avail_in)
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                return .failed(offset: at, message: message)
            }
        }
        return .needMore
    }
}
