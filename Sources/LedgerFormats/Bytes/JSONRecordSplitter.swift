/// Cuts a stream of JSON bytes into records without parsing them, so that a file of any size
/// is read with one record in memory at a time, and one broken record costs only itself.
///
/// Shapes read (formats.md §3.2): `{"Records": [ {…}, … ]}` (CloudTrail files), a bare array
/// `[ {…}, … ]`, one object per document, and several documents one after another (one per
/// line, as exports write them). Strings and escapes are tracked, so braces inside strings do
/// not count.
///
/// Written by hand: no JSON library here streams records out of one array; Foundation parses
/// a document whole.
struct JSONRecordSplitter {
    enum Piece {
        /// A complete record's bytes (an object in the records array, or a whole root object).
        case record([UInt8])
        /// A record known to be one JSON object (``JSONSyntax``), whole in the chunk given to
        /// `feed`: these are that chunk's bytes, valid only as long as the chunk is.
        case checked(UnsafeRawBufferPointer)
        /// A record larger than the limit; skipped.
        case oversized
        /// The next record of an array follows the last one with no `,` between them: the file
        /// is not valid JSON there, but both records are whole and are read.
        case missingSeparator
    }

    let maxRecordBytes: Int
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// Depth at which records open: 3 inside `{"Records": [`, 2 in a bare array, 1 for root objects.
    private var recordDepth = 1
    private var collecting = false
    private var overflow = false
    private var buffer: [UInt8] = []
    /// The first key of the root object, to tell `{"Records": …}` from a single event.
    private var rootKey: [UInt8]?
    private var readingRootKey = false
    private var afterRootKey = false
    /// A record of an array has ended and no `,` has come since.
    private var awaitingSeparator = false

    init(maxRecordBytes: Int) {
        self.maxRecordBytes = maxRecordBytes
    }

    /// Whether the stream stopped inside a record or a records array (a cut file).
    var isInsideDocument: Bool { depth > 0 }
    var isInsideRecord: Bool { collecting }

    /// Cuts `bytes` (the next chunk of the stream) and emits every record that ends in it.
    ///
    /// Most bytes of a trail are inside strings: those are skipped to the next quote or
    /// backslash in a tight loop, and a record's bytes are copied into `buffer` a run at a time
    /// (from `pending` to where the run ends), not byte by byte: this loop sees every byte of a
    /// trail (benchmarks/NOTES.md, `JSONRecordSplitter`).
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (Piece) -> Void) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count
        // Where the bytes not yet copied into `buffer` begin (collecting only).
        var pending = 0
        func copyPending(upTo end: Int) {
            guard collecting, end > pending else { return }
            let room = maxRecordBytes - buffer.count
            if end - pending > room { overflow = true }
            let count = min(end - pending, max(room, 0))
            if count > 0 { buffer.append(contentsOf: UnsafeRawBufferPointer(start: base + pending, count: count)) }
            pending = end
        }
        var i = 0
        while i < n {
            let c = base.load(fromByteOffset: i, as: UInt8.self)
            if inString {
                if escaped {
                    escaped = false
                    i += 1
                    continue
                }
                if readingRootKey {
                    // The root object's first key: a few bytes, kept byte by byte.
                    if c == 0x5C {
                        escaped = true
                    } else if c == 0x22 {
                        inString = false
                        readingRootKey = false
                        afterRootKey = true
                    } else {
                        rootKey?.append(c)
                    }
                    i += 1
                    continue
                }
                var j = i
                while j < n {
                    let d = base.load(fromByteOffset: j, as: UInt8.self)
                    if d == 0x22 || d == 0x5C { break }
                    j += 1
                }
                if j == n { break }
                if base.load(fromByteOffset: j, as: UInt8.self) == 0x5C { escaped = true } else { inString = false }
                i = j + 1
                continue
            }
            switch c {
            case 0x22:  // "
                inString = true
                if depth == 1 && recordDepth == 1 && rootKey == nil {
                    rootKey = []
                    readingRootKey = true
                }
            case 0x5B:  // [
                depth += 1
                if depth == 1 { recordDepth = 2 }
                awaitingSeparator = false
                if depth == 2 && afterRootKey && rootKey == Array("Records".utf8) {
                    // {"Records": [ … — records are the objects of this array; the root object is not one.
                    recordDepth = 3
                    collecting = false
                    buffer.removeAll(keepingCapacity: true)
                }
                afterRootKey = false
            case 0x7B:  // {
                depth += 1
                afterRootKey = false
                if depth == recordDepth && recordDepth >= 2 && awaitingSeparator {
                    emit(.missingSeparator)
                }
                if depth == recordDepth { awaitingSeparator = false }
                if depth == 1 {
                    recordDepth = 1
                    rootKey = nil
                }
                if depth == recordDepth && recordDepth >= 2 && !collecting,
                    let end = JSONSyntax.objectEnd(UnsafeRawBufferPointer(start: base + i, count: n - i)),
                    end <= maxRecordBytes
                {
                    // A record of an array that is whole in this chunk and well-formed: the
                    // grammar check found where it ends, so it is cut there without looking at
                    // its bytes again (the splitter and the check had each read every byte), and
                    // handed over in place, not copied.
                    // Anything else (cut by the chunk, broken, too large) goes byte by byte below.
                    depth -= 1
                    emit(.checked(UnsafeRawBufferPointer(start: base + i, count: end)))
                    awaitingSeparator = true
                    i += end
                    continue
                }
                if depth == recordDepth && !collecting {
                    collecting = true
                    overflow = false
                    buffer.removeAll(keepingCapacity: true)
                    pending = i
                }
            case 0x7D, 0x5D:  // } ]
                depth -= 1
                if collecting && depth == recordDepth - 1 {
                    copyPending(upTo: i + 1)
                    collecting = false
                    emit(overflow ? .oversized : .record(buffer))
                    awaitingSeparator = recordDepth >= 2
                } else if depth < recordDepth - 1 {
                    awaitingSeparator = false
                }
                if depth <= 0 {
                    depth = 0
                    recordDepth = 1
                    rootKey = nil
                }
            case 0x2C:  // ,
                if depth == recordDepth - 1 { awaitingSeparator = false }
            case 0x20, 0x0A, 0x0D, 0x09, 0x3A:  // whitespace :
                break
            default:
                afterRootKey = afterRootKey && depth == 1 && c == 0x3A
            }
            i += 1
        }
        copyPending(upTo: n)
    }

    /// The pieces of a record that did not parse: wherever another event starts inside it
    /// (`{` then `"eventVersion"`), the balanced object from there — so that a record with a
    /// missing brace, which swallows the ones after it, gives them back.
    static func recover(_ record: [UInt8]) -> [ArraySlice<UInt8>] {
        let marker = Array("\"eventVersion\"".utf8)
        var starts: [Int] = []
        var i = 1
        while i < record.count {
            if record[i] == 0x7B {
                var j = i + 1
                while j < record.count, record[j] == 0x20 || record[j] == 0x0A || record[j] == 0x0D || record[j] == 0x09
                { j += 1 }
                if j + marker.count <= record.count, Array(record[j..<(j + marker.count)]) == marker {
                    starts.append(i)
                }
            }
            i += 1
        }
        return starts.compactMap { start in
            var depth = 0
            var inString = false
            var escaped = false
            for k in start..<record.count {
                let c = record[k]
                if inString {
                    if escaped {
                        escaped = false
                    } else if c == 0x5C {
                        escaped = true
                    } else if c == 0x22 {
                        inString = false
                    }
                    continue
                }
                if c == 0x22 {
                    inString = true
                } else if c == 0x7B {
                    depth += 1
                } else if c == 0x7D {
                    depth -= 1
                    if depth == 0 { return record[start...k] }
                }
            }
            return nil
        }
    }
}
