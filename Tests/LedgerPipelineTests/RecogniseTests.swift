import Foundation
import LedgerDiscover
import LedgerFormats
import LedgerTestSupport
import Testing

@testable import LedgerPipeline

/// Format recognition decides a delivered trail from its first bytes; everything else from a
/// 256 KiB head.
///
/// Both must name the format the 256 KiB head alone names.
@Suite("ingest: a trail recognised from its first bytes, as from its head")
struct RecogniseTests {
    /// What recognition answered before the first-bytes shortcut: the head alone.
    static func byHead(_ path: String) -> String? {
        var head: [UInt8] = []
        _ = InputDecoder.decode(path: path, hashing: false, limit: FileReader.sniffBytes) {
            head.append(contentsOf: $0)
        }
        return FormatRegistry.recognise(HeadSample(bytes: Array(head.prefix(FileReader.sniffBytes))))?.name
    }

    static func recognised(_ path: String) -> String? {
        guard case .success(let recognised) = FileReader.recognise(path: path) else { return "unreadable" }
        guard case .format(let format) = recognised else { return "extract" }
        return format?.name
    }

    // How this was seen to fail: with the prefix shortened to `{"Records"`, `{"Records":{}}`
    // and `{"Records" :[…` were taken for trails from their first bytes, which the head does
    // not say. (A combining accent after the `[` is a case too: the recogniser's `hasPrefix`
    // compares scalars, so it takes that head as a trail as well.)
    @Test("every sample file and crafted heads, plain and gzipped: the same format either way")
    func sameAsTheHead() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let event =
            #"{"eventVersion":"1.09","eventTime":"2025-11-24T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole"}"#
        let heads = [
            #"{"Records":["# + event + "]}", #"{"Records":[]}"#, #"{"Records":["#, " {\"Records\":[" + event + "]}",
            "{\"Records\":[\u{301}" + event + "]}", "{\"Records\":[é" + event + "]}",
            "\u{FEFF}{\"Records\":[" + event + "]}",
            #"{"Records":{}}"#, #"{"Records" :["# + event + "]}", "[" + event + "]", event, "{}", "", "not json",
            #"{"awsAccountId":"111122223333","digestStartTime":"2025-11-24T00:00:00Z"}"#,
            "25/11/24 00:00:00 INFO InteractiveSession$: Creating Interactive session 0: [owner: a, request: [kind: pyspark]]",
        ]
        var paths: [String] = []
        for (i, text) in heads.enumerated() {
            paths.append(try dir.write("h\(i).json", text))
            paths.append(try dir.write("h\(i).json.gz", Gzip.compress(Array(text.utf8))))
        }
        let samples = Fixtures.project + "/samples"
        let walker = FileManager.default.enumerator(atPath: samples)!
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: samples + "/" + relative, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                paths.append(samples + "/" + relative)
            }
        }
        #expect(paths.count > 40)
        for path in paths {
            #expect(Self.recognised(path) == Self.byHead(path), "\(path)")
        }
        // The shortcut is taken for a delivered trail, plain or gzipped.
        #expect(Self.recognised(paths[0]) == "cloudtrail" && Self.recognised(paths[1]) == "cloudtrail")
    }
}
