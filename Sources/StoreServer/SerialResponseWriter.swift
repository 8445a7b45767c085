import GRPCCore
import Synchronization

/// Lets many tasks send on one response stream: messages are written in the order `send` was called (the
/// messages of one `send(contentsOf:)` in one write), and `send` returns only once its messages have been
/// handed to the transport. A sender that outruns the client therefore waits once the transport's budget of
/// unwritten bytes is spent, which is what pushes a slow watcher back onto catch-up from LMDB instead of
/// growing memory.
///
/// The sender that finds the stream idle writes itself, then writes whatever others queued meanwhile, so a
/// message normally reaches the transport from the task that made it, with no hand-over to another task.
final class SerialResponseWriter<Message: Sendable>: Sendable {
    /// Messages queued behind the writing sender, and the task that queued them, resumed with `false` once
    /// they have been written for it.
    private typealias Item = (messages: [Message], written: CheckedContinuation<Bool, Never>)

    private struct State {
        /// A sender is writing; others queue behind it.
        var writing = false
        var queued: [Item] = []
        var failed = false
        var finished = false
    }

    private let writer: RPCWriter<Message>
    private let state = Mutex(State())

    init(writer: RPCWriter<Message>) {
        self.writer = writer
    }

    /// Writes `message` (or queues it behind the sender writing now) and returns once it has been written,
    /// or the stream has failed or finished.
    func send(_ message: Message) async {
        await send(contentsOf: [message])
    }

    /// Writes `messages` (or queues them behind the sender writing now) and returns once all have been
    /// written, or the stream has failed or finished.
    func send(contentsOf messages: [Message]) async {
        // One lock decides: write now, return (failed or finished), or queue for the writing sender, who
        // resumes this one once it has written the messages for it.
        let writesItself = await withCheckedContinuation { (turn: CheckedContinuation<Bool, Never>) in
            let decided = state.withLock { state -> Bool? in
                if state.failed || state.finished { return false }
                if state.writing {
                    state.queued.append((messages, turn))
                    return nil
                }
                state.writing = true
                return true
            }
            if let decided { turn.resume(returning: decided) }
        }
        guard writesItself else { return }
        await write(messages)
        // Write what others queued meanwhile, then give the turn up.
        while true {
            let next = state.withLock { state -> [Item] in
                let items = state.queued
                state.queued = []
                if items.isEmpty { state.writing = false }
                return items
            }
            if next.isEmpty { return }
            for item in next {
                await write(item.messages)
                item.written.resume(returning: false)
            }
        }
    }

    private func write(_ messages: [Message]) async {
        if state.withLock({ $0.failed }) { return }
        do {
            try await writer.write(contentsOf: messages)
        } catch {
            // The client is gone: later sends return at once.
            state.withLock { $0.failed = true }
        }
    }

    /// Whether writing to the client has failed.
    var hasFailed: Bool { state.withLock { $0.failed } }

    /// Later sends return at once without writing. What was queued before is still written by the sender
    /// writing now, as it would have been.
    func finish() {
        state.withLock { $0.finished = true }
    }
}
