import Foundation
import LedgerModel
import LedgerStore
import LedgerTestSupport
import Testing

@testable import LedgerPipeline

/// The channels between the parse threads and the one writer: how far a parser may run ahead.
@Suite("Pipeline: how far parsers run ahead of the writer")
struct FileChannelsTests {
    /// A piece of rows of about `bytes` bytes (``TableBatch/byteCount``).
    static func piece(_ bytes: Int) -> [TableBatch] {
        var batch = TableBatch(table: "livy_event", columns: ["detail"])
        batch.append(line: 1, [.text(String(repeating: "x", count: bytes))])
        return [batch]
    }

    /// Sends `message` on a thread of its own; the semaphore is signalled when `send` returns.
    static func sendOnAThread(_ channels: FileChannels, _ message: FileMessage, file: Int) -> DispatchSemaphore {
        let sent = DispatchSemaphore(value: 0)
        Thread {
            channels.send(message, file: file)
            sent.signal()
        }.start()
        return sent
    }

    // File 1's parser queues five pieces while file 0 is written. When the writer moves on to
    // file 1 and takes one, four are still queued, more than the two pieces a file being
    // written may always have; the budget (20 pieces' worth) still has room, so its parser goes
    // on. Then the budget is filled, and the parser waits until the writer takes a piece.
    // How this was seen to fail: with the file being written held to its two pieces whatever
    // the budget (the rule before), the sixth piece waited for the writer to take two more.
    @Test("the file being written queues on within the budget, and waits when it is used up")
    func currentFileUsesTheBudget() throws {
        let size = Self.piece(1_000)[0].byteCount
        let channels = FileChannels(files: 2, perFile: 2, aheadBytes: 20 * size)
        for _ in 0..<5 { channels.send(.rows(Self.piece(1_000)), file: 1) }
        channels.send(.reading(appending: false), file: 0)
        guard case .reading = channels.receive(file: 0) else {
            Issue.record("file 0 sent .reading")
            return
        }
        guard case .rows = channels.receive(file: 1) else {
            Issue.record("file 1 sent rows")
            return
        }

        // Four queued, room for sixteen more: the sixth piece is queued at once.
        let sixth = Self.sendOnAThread(channels, .rows(Self.piece(1_000)), file: 1).wait(timeout: .now() + 10)
        #expect(sixth == .success)
        guard sixth == .success else {
            channels.cancel()  // lets the waiting thread go
            return
        }
        // Five queued: fifteen more fill the budget; the one after them waits.
        for _ in 0..<15 { channels.send(.rows(Self.piece(1_000)), file: 1) }
        let last = Self.sendOnAThread(channels, .rows(Self.piece(1_000)), file: 1)
        // Seen waiting inside send, not inferred from a send that has not returned within some
        // time (a slow thread has not either).
        #expect(eventually { channels.waiting == 1 })
        #expect(last.wait(timeout: .now()) == .timedOut)
        guard case .rows = channels.receive(file: 1) else {
            Issue.record("file 1 sent rows")
            return
        }
        #expect(last.wait(timeout: .now() + 10) == .success)
        channels.cancel()
    }

    // How this was seen to fail: with the current file never waiting (no limit at all), the
    // third piece of a file with no budget was queued at once.
    @Test("the file being written may always queue its two pieces, and no more without budget")
    func currentFileKeepsItsPieces() throws {
        let channels = FileChannels(files: 1, perFile: 2, aheadBytes: 0)
        channels.send(.reading(appending: false), file: 0)
        guard case .reading = channels.receive(file: 0) else {
            Issue.record("file 0 sent .reading")
            return
        }
        channels.send(.rows(Self.piece(1_000)), file: 0)
        channels.send(.rows(Self.piece(1_000)), file: 0)
        let third = Self.sendOnAThread(channels, .rows(Self.piece(1_000)), file: 0)
        #expect(eventually { channels.waiting == 1 })
        #expect(third.wait(timeout: .now()) == .timedOut)
        guard case .rows = channels.receive(file: 0) else {
            Issue.record("file 0 sent rows")
            return
        }
        #expect(third.wait(timeout: .now() + 10) == .success)
        channels.cancel()
    }
}
