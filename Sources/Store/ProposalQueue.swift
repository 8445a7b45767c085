import Foundation

/// Requests waiting for the applier. Everything that arrives while a batch is being written and synced is
/// taken as the next batch, so one fsync covers all of it (group commit).
final class ProposalQueue: @unchecked Sendable {  // reason: every field is guarded by `condition`.
    typealias Completion = @Sendable (Result<WriteResult, any Error>) -> Void

    struct Proposal {
        var request: WriteRequest
        var completion: Completion
    }

    private let condition = NSCondition()
    private var pending: [Proposal] = []
    private var stopped = false

    /// Adds a request; false when the queue has been stopped.
    func enqueue(_ request: WriteRequest, completion: @escaping Completion) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopped { return false }
        pending.append(Proposal(request: request, completion: completion))
        condition.signal()
        return true
    }

    /// Blocks until requests are waiting, then takes up to `limit` of them; nil once stopped and drained.
    func takeBatch(limit: Int) -> [Proposal]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !stopped { condition.wait() }
        if pending.isEmpty { return nil }
        let count = min(limit, pending.count)
        let batch = Array(pending.prefix(count))
        pending.removeFirst(count)
        return batch
    }

    /// Stops accepting requests; the ones already queued are still applied.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
