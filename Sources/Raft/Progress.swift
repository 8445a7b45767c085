/// What a leader knows of one member's log, and how it is sending to it (§5.3 nextIndex and matchIndex,
/// plus flow control).
public struct Progress: Hashable, Sendable {
    /// How the leader sends entries to the member.
    public enum State: Hashable, Sendable, CustomStringConvertible {
        /// The position of the member's log is being searched: one append at a time, then wait.
        case probe
        /// The logs match up to `match`; appends are pipelined up to the in-flight limit.
        case replicate
        /// A snapshot up to `pendingSnapshot` has been sent; nothing more until it is acknowledged.
        case snapshot(pendingSnapshot: LogIndex)

        public var description: String {
            switch self {
            case .probe: "probe"
            case .replicate: "replicate"
            case .snapshot(let index): "snapshot(\(index))"
            }
        }
    }

    /// The highest index known to be replicated on the member.
    public internal(set) var match: LogIndex
    /// The index of the next entry to send.
    public internal(set) var next: LogIndex
    public internal(set) var state: State = .probe
    public internal(set) var isLearner: Bool
    /// Whether the member has been heard from since the last check-quorum round.
    public internal(set) var recentActive = false
    /// In probe state: an append has been sent and no answer has come yet.
    var probeSent = false
    /// The highest commit index sent to the member.
    var sentCommit: LogIndex = 0
    var inflights: Inflights

    init(next: LogIndex, isLearner: Bool, maxInflight: Int, maxInflightBytes: Int) {
        self.match = 0
        self.next = next
        self.isLearner = isLearner
        self.inflights = Inflights(capacity: maxInflight, maxBytes: maxInflightBytes)
    }

    /// Whether the leader should hold further appends for now.
    var isPaused: Bool {
        switch state {
        case .probe: probeSent
        case .replicate: inflights.isFull
        case .snapshot: true
        }
    }

    mutating func becomeProbe() {
        if case .snapshot(let pending) = state {
            // The member may have installed the snapshot: continue right after it.
            next = max(match + 1, pending + 1)
        } else {
            next = match + 1
        }
        state = .probe
        probeSent = false
        inflights.reset()
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        probeSent = false
        inflights.reset()
    }

    mutating func becomeSnapshot(index: LogIndex) {
        state = .snapshot(pendingSnapshot: index)
        probeSent = false
        inflights.reset()
    }

    /// Records that an append of `count` entries (`bytes` in size) was sent.
    mutating func sentEntries(count: Int, bytes: Int) {
        switch state {
        case .replicate:
            if count > 0 {
                next += LogIndex(count)
                inflights.add(index: next - 1, bytes: bytes)
            }
        case .probe:
            probeSent = true
        case .snapshot:
            preconditionFailure("sending entries to a member that is receiving a snapshot")
        }
    }

    mutating func sentCommit(_ commit: LogIndex) {
        sentCommit = max(sentCommit, commit)
    }

    /// Whether sending `commit` could advance the member's commit index.
    func canBumpCommit(_ commit: LogIndex) -> Bool {
        commit > sentCommit && sentCommit < next - 1
    }

    /// The member acknowledged up to `index`; false when that is old news.
    mutating func maybeUpdate(_ index: LogIndex) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            probeSent = false
        }
        next = max(next, index + 1)
        return updated
    }

    /// The member rejected an append after `rejected`; its log may match at most up to `hint`. False when
    /// the rejection is stale (answers an older message).
    mutating func maybeDecrease(rejected: LogIndex, hint: LogIndex) -> Bool {
        switch state {
        case .replicate:
            if rejected <= match { return false }
            next = match + 1
            return true
        case .probe, .snapshot:
            if next - 1 != rejected { return false }
            next = max(min(rejected, hint + 1), match + 1)
            probeSent = false
            return true
        }
    }
}

extension Progress: CustomStringConvertible {
    public var description: String {
        var text = "\(state) match=\(match) next=\(next)"
        if isLearner { text += " learner" }
        if probeSent { text += " paused" }
        if inflights.count > 0 { text += " inflight=\(inflights.count)" }
        return text
    }
}
