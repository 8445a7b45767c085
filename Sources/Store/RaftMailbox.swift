import Foundation
import PeerTransport
import Raft

/// Everything that reaches a member's Raft loop from other threads: client proposals, reads waiting for a
/// read index, messages from peers, membership requests and transport reports. The loop takes all of it at
/// once, so that whatever arrives while it is writing becomes the next batch (group commit).
final class RaftMailbox: @unchecked Sendable {  // reason: every field is guarded by `condition`.
    enum Input {
        case proposal(PendingProposal)
        case read(ReadWaiter)
        case envelopes([PeerEnvelope])
        case configChange(ConfigChange, PendingConfigChange)
        case transferLeadership(to: NodeID, completion: @Sendable (Result<Void, any Error>) -> Void)
        case report(PeerTransportReport)
        case campaign
        /// A local reader waits for applied writes to become visible: commit the open transaction now.
        case commitApplied
    }

    private let condition = NSCondition()
    private var inputs: [Input] = []
    private var stopped = false

    /// Adds an input; false once the mailbox is stopped.
    @discardableResult
    func post(_ input: Input) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopped { return false }
        inputs.append(input)
        if inputs.count == 1 { condition.signal() }
        return true
    }

    /// Waits until inputs are waiting or `deadline` passes; returns them all (possibly none) and whether
    /// the mailbox was stopped.
    func take(waitingUntil deadline: Date) -> (inputs: [Input], stopped: Bool) {
        condition.lock()
        defer { condition.unlock() }
        while inputs.isEmpty && !stopped {
            if !condition.wait(until: deadline) { break }
        }
        let taken = inputs
        inputs = []
        return (taken, stopped)
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }
}

/// A client's write waiting to be committed and applied.
struct PendingProposal: Sendable {
    var sequence: UInt64
    var data: [UInt8]
    var deadline: ContinuousClock.Instant
    var completion: @Sendable (Result<WriteResult, any Error>) -> Void
}

/// A linearizable read waiting for a read index, then for the member to apply up to it.
struct ReadWaiter: Sendable {
    var deadline: ContinuousClock.Instant
    var completion: @Sendable (Result<Void, any Error>) -> Void
}

/// A membership change waiting to be applied.
struct PendingConfigChange: Sendable {
    var deadline: ContinuousClock.Instant
    var completion: @Sendable (Result<[ClusterMember], any Error>) -> Void
}
