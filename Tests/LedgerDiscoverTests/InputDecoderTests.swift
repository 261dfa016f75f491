import Foundation
import LedgerDiscover
import LedgerModel
import LedgerTestSupport
import Testing

@Suite("Decoding files: plain, gzip, several members, damage")
struct InputDecoderTests {
    static let text = Array(
        (1...2000).map { "line \($0): the quick brown fox jumps over the lazy dog\n" }.joined().utf8)

    func decode(_ path: String, chunk: Int = InputDecoder.defaultChunkSize, limit: Int? = nil) -> (
        [UInt8], DecodeResult
    ) {
        var out: [UInt8] = []
        let result = InputDecoder.decode(path: path, hashing: true, limit: limit, chunkSize: chunk) {
            out.append(contentsOf: $0)
        }
        return (out, result)
    }

    @Test("the SHA-256 of the bytes on disk is the standard one (FIPS 180-2 test vector 'abc')")
    func hashesRawBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("abc.txt", "abc")
        let (out, result) = decode(path)
        #expect(out == Array("abc".utf8))
        #expect(result.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(result.compression == .none)
        #expect(result.problem == nil)
    }

    @Test(
        "gzip is recognised by its magic bytes and inflated, whatever the buffer size",
        arguments: [1, 2, 7, 4096, 65536])
    func inflatesGzip(chunk: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let gz = Gzip.compress(Self.text)
        let path = try dir.write("log.txt", gz)  // no .gz suffix: content decides
        let (out, result) = decode(path, chunk: chunk)
        #expect(out == Self.text)
        #expect(result.compression == .gzip)
        #expect(result.gzipMembers == 1)
        #expect(result.rawBytes == gz.count)
        #expect(result.decodedBytes == Self.text.count)
        #expect(result.problem == nil)
    }

    @Test("a multi-member gzip file decodes to all members in order", arguments: [3, 4096])
    func inflatesEveryMember(chunk: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let parts = [Array("first member\n".utf8), Self.text, Array("third\n".utf8)]
        let path = try dir.write("multi.gz", parts.flatMap { Gzip.compress($0) })
        let (out, result) = decode(path, chunk: chunk)
        #expect(out == parts.flatMap { $0 })
        #expect(result.gzipMembers == 3)
        #expect(result.problem == nil)
    }

    @Test("zero padding after the last member is tolerated, like gzip does")
    func toleratesZeroPadding() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("padded.gz", Gzip.compress(Self.text) + [UInt8](repeating: 0, count: 512))
        let (out, result) = decode(path)
        #expect(out == Self.text)
        #expect(result.problem == nil)
    }

    @Test("a truncated gzip gives a problem, not a crash; a prefix of the content was delivered")
    func reportsTruncation() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let gz = Gzip.compress(Self.text)
        let cut = Array(gz.prefix(gz.count / 2))
        let path = try dir.write("cut.gz", cut)
        let (out, result) = decode(path, chunk: 1000)
        #expect(result.problem == .truncated(rawBytes: cut.count))
        #expect(out.count < Self.text.count)
        #expect(Array(Self.text.prefix(out.count)) == out)
        #expect(result.sha256 != nil, "the hash covers the whole file even when it is damaged")
    }

    @Test("corrupt deflate data gives a problem with its byte offset")
    func reportsCorruption() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var gz = Gzip.compress(Self.text)
        for i in 30..<60 { gz[i] ^= 0xFF }
        let path = try dir.write("bad.gz", gz)
        let (out, result) = decode(path)
        guard case .corrupt(let offset, _) = result.problem else {
            Issue.record("expected corrupt, got \(String(describing: result.problem))")
            return
        }
        #expect(offset >= 10 && offset <= gz.count)
        #expect(Array(Self.text.prefix(out.count)) == out)
        #expect(result.rawBytes == gz.count)
    }

    @Test("bytes after the last member that are not gzip are corruption")
    func reportsTrailingJunk() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let gz = Gzip.compress(Self.text)
        let path = try dir.write("junk.gz", gz + Array("not gzip".utf8))
        let (out, result) = decode(path)
        #expect(out == Self.text)
        #expect(result.problem == .corrupt(offset: gz.count, message: "unexpected bytes after gzip member 1"))
    }

    @Test("a file that cannot be opened is a problem naming why")
    func reportsUnreadable() {
        let (_, result) = decode("/nonexistent/dir/file.log")
        #expect(result.problem == .unreadable("No such file or directory"))
        #expect(result.sha256 == nil)
    }

    @Test("a limit stops reading early (format recognition looks at the head only)")
    func stopsAtLimit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("log.gz", Gzip.compress(Self.text))
        let (out, result) = decode(path, chunk: 1024, limit: 5000)
        #expect(result.stoppedAtLimit)
        #expect(out.count >= 5000 && out.count < Self.text.count)
        #expect(Array(Self.text.prefix(out.count)) == out)
    }
}

@Suite("Damaged gzip never crashes the decoder")
struct GzipMutationTests {
    @Test("hundreds of damaged .gz files end in a result, each with its hash")
    func survivesDamagedGzip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var rng = SeededGenerator(seed: 7)
        let original = Gzip.compress(InputDecoderTests.text) + Gzip.compress(Array("second member\n".utf8))
        var problems = 0
        for round in 0..<400 {
            let damaged = mutate(original, using: &rng)
            let path = try dir.write("d\(round).gz", damaged)
            let result = InputDecoder.decode(path: path, hashing: true, chunkSize: 4096) { _ in }
            #expect(result.rawBytes == damaged.count)
            #expect(result.sha256?.count == 64)
            if result.problem != nil { problems += 1 }
        }
        #expect(problems > 300, "most mutations must be detected, \(problems) were")
    }
}
