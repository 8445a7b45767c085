import GRPCCore
import Synchronization

/// Lets many tasks send on one response stream: messages are written in the order `send` was called (the
/// messages of one `send(contentsOf:)` in one write, with one flush), and `send` returns only once its
/// messages have been handed to the transport. A sender that
/// outruns the client therefore waits, which is what pushes a slow watcher back onto catch-up from LMDB
/// instead of growing memory.
final class SerialResponseWriter<Message: Sendable>: Sendable {
    private typealias Item = (messages: [Message], written: CheckedContinuation<Void, Never>)
    private let items: AsyncStream<Item>
    private let input: AsyncStream<Item>.Continuation
    private let failed = Atomic<Bool>(false)

    init() {
        (items, input) = AsyncStream<Item>.makeStream()
    }

    /// Writes every sent message to `writer` until `finish()`; returns after the last one.
    func run(writer: RPCWriter<Message>) async {
        for await item in items {
            if !failed.load(ordering: .relaxed) {
                do {
                    try await writer.write(contentsOf: item.messages)
                } catch {
                    // The client is gone: keep releasing senders so that none waits forever.
                    failed.store(true, ordering: .relaxed)
                }
            }
            item.written.resume()
        }
    }

    /// Queues `message` and waits until it has been written (or the stream has failed).
    func send(_ message: Message) async {
        await send(contentsOf: [message])
    }

    /// Queues `messages` and waits until all have been written (or the stream has failed).
    func send(contentsOf messages: [Message]) async {
        await withCheckedContinuation { (written: CheckedContinuation<Void, Never>) in
            if case .terminated = input.yield((messages, written)) { written.resume() }
        }
    }

    /// Whether writing to the client has failed.
    var hasFailed: Bool { failed.load(ordering: .relaxed) }

    func finish() {
        input.finish()
    }
}
