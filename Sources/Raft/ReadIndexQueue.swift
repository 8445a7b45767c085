/// The read requests a leader is confirming its leadership for. Each takes the commit index at arrival;
/// once a quorum has answered a heartbeat carrying its context (or a later one's), it can be served.
struct ReadIndexQueue: Sendable {
    struct Request: Sendable {
        var index: LogIndex
        /// Who asked: the leader itself or the follower that forwarded it.
        var requester: NodeID
        var context: [UInt8]
        var acks: [NodeID: Bool] = [:]
    }

    private var pending: [[UInt8]: Request] = [:]
    private(set) var queue: [[UInt8]] = []

    var lastContext: [UInt8]? { queue.last }

    var isEmpty: Bool { queue.isEmpty }

    /// Queues a request; a context already pending is ignored.
    mutating func add(index: LogIndex, requester: NodeID, context: [UInt8]) {
        guard pending[context] == nil else { return }
        pending[context] = Request(index: index, requester: requester, context: context)
        queue.append(context)
    }

    /// Records that `id` answered a heartbeat carrying `context`; returns the acknowledgements so far.
    mutating func acknowledge(_ context: [UInt8], from id: NodeID) -> [NodeID: Bool]? {
        guard pending[context] != nil else { return nil }
        pending[context]!.acks[id] = true
        return pending[context]!.acks
    }

    /// Removes and returns every request up to and including the one with `context`: a quorum confirmed a
    /// heartbeat sent after all of them arrived.
    mutating func advance(through context: [UInt8]) -> [Request] {
        guard let position = queue.firstIndex(of: context) else { return [] }
        let done = queue[...position].compactMap { pending.removeValue(forKey: $0) }
        queue.removeFirst(position + 1)
        return done
    }

    mutating func reset() {
        pending = [:]
        queue = []
    }
}
