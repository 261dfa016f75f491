import CTextScan
import Foundation

/// One line of decoded text: its 1-based number and its bytes without the line break.
///
/// `bytes` is only valid inside the callback that receives it.
public struct Line {
    public let number: Int
    public let bytes: UnsafeRawBufferPointer
    /// The line was longer than the splitter's limit; `bytes` holds only its start.
    public let isOverlong: Bool
    /// Every byte of the line is printable ASCII (0x20...0x7E), seen while looking for its end: it
    /// is text (``TextCheck``) without looking again.
    ///
    /// False says only that it was not seen so (a tab, a `\r`, UTF-8, a control byte, or a line cut
    /// across chunks).
    public let isPrintableASCII: Bool
}

/// Splits decoded chunks into lines (`\n`, with a trailing `\r` dropped), whatever the chunk
/// boundaries.
///
/// A line longer than `maxLineLength` is delivered cut, marked overlong, and the rest of it is
/// skipped, so one giant line never holds more than the limit in memory.
public struct LineSplitter {
    /// Lines up to 1 MiB are delivered whole; anything longer is not a log line we read.
    public static let defaultMaxLineLength = 1 << 20

    public let maxLineLength: Int
    private var carry: [UInt8] = []
    private var carryIsOverlong = false
    public private(set) var lineNumber = 0

    /// - Parameters:
    ///   - maxLineLength: a longer line is delivered cut and marked overlong, and the rest of it
    ///     is skipped.
    ///   - lineNumber: lines already read before the first byte fed (a grown file read on).
    public init(maxLineLength: Int = defaultMaxLineLength, lineNumber: Int = 0) {
        self.maxLineLength = maxLineLength
        self.lineNumber = lineNumber
    }

    /// Feeds one chunk; calls `body` for every line completed by it.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (Line) -> Void) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var start = 0
        let end = chunk.count
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        while start < end {
            let remaining = end - start
            // One pass finds the line break and sees that the line is printable ASCII, as most
            // log lines are (the bulk of the reading: the pass memchr made, and TextCheck's
            // over the same bytes, were a sixth of the parse threads' time); from any other
            // byte, memchr finds the break.
            let plain = sl_first_non_printable(bytes + start, remaining)
            let newline: Int
            if plain < remaining && bytes[start + plain] == 0x0A {
                newline = start + plain
            } else if plain < remaining, let hit = memchr(base + start + plain, 0x0A, remaining - plain) {
                newline = base.distance(to: UnsafeRawPointer(hit))
            } else {
                appendCarry(UnsafeRawBufferPointer(start: base + start, count: remaining))
                return
            }
            let piece = UnsafeRawBufferPointer(start: base + start, count: newline - start)
            lineNumber += 1
            if carry.isEmpty && !carryIsOverlong {
                emit(piece, overlong: piece.count > maxLineLength, printable: newline == start + plain, body)
            } else {
                appendCarry(piece)
                flushCarry(body)
            }
            start = newline + 1
        }
    }

    /// Delivers the last line when the text does not end with a line break.
    public mutating func finish(_ body: (Line) -> Void) {
        guard !carry.isEmpty || carryIsOverlong else { return }
        lineNumber += 1
        flushCarry(body)
    }

    /// Drops a last line that has no line break (used when a stream was cut: the piece after
    /// the last break is not a whole line).
    public mutating func discardPartialLine() {
        carry.removeAll(keepingCapacity: true)
        carryIsOverlong = false
    }

    /// Whether bytes after the last line break are waiting.
    public var hasPartialLine: Bool { !carry.isEmpty || carryIsOverlong }

    private mutating func appendCarry(_ piece: UnsafeRawBufferPointer) {
        let room = maxLineLength - carry.count
        if piece.count > room {
            carry.append(contentsOf: piece.prefix(max(room, 0)))
            carryIsOverlong = true
        } else {
            carry.append(contentsOf: piece)
        }
    }

    private mutating func flushCarry(_ body: (Line) -> Void) {
        let overlong = carryIsOverlong
        carry.withUnsafeBytes { emit($0, overlong: overlong, body) }
        carry.removeAll(keepingCapacity: carry.count <= 64 * 1024)
        carryIsOverlong = false
    }

    private func emit(_ piece: UnsafeRawBufferPointer, overlong: Bool, printable: Bool = false, _ body: (Line) -> Void)
    {
        var bytes = overlong ? UnsafeRawBufferPointer(rebasing: piece.prefix(maxLineLength)) : piece
        if !overlong, let last = bytes.last, last == 0x0D {
            bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast())
        }
        body(Line(number: lineNumber, bytes: bytes, isOverlong: overlong, isPrintableASCII: printable && !overlong))
    }
}
