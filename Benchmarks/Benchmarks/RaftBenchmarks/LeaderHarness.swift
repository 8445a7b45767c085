import Raft

/// The leader of a three-member group, alone in memory: its `Ready`s are written to a `MemoryStorage` and
/// acknowledged at once, and the two followers are simulated by answering every message the leader sends as
/// a healthy, up-to-date follower would (votes granted, appends accepted, heartbeats answered). So each
/// round costs exactly the leader's share of the work, with nothing for transport or followers.
final class LeaderHarness {
    static let leaderID: NodeID = 1
    static let voters: [NodeID] = [1, 2, 3]
    /// How much applied log the storage keeps before it is compacted, so long runs stay bounded in memory.
    static let retainedEntries: LogIndex = 10_000

    let storage: MemoryStorage
    private(set) var node: RaftNode<MemoryStorage>
    private(set) var appliedIndex: LogIndex

    /// Bootstraps the group and elects member 1 (pre-vote, then vote), committing its first-term entry.
    init() {
        storage = MemoryStorage(bootstrap: ConfState(voters: Self.voters))
        var configuration = RaftConfiguration(id: Self.leaderID)
        configuration.applied = Snapshot.bootstrapIndex
        node = RaftNode(configuration: configuration, storage: storage)
        appliedIndex = Snapshot.bootstrapIndex
        node.campaign()
        settle()
        precondition(node.softState.role == .leader, "member \(Self.leaderID) did not win the election")
        precondition(appliedIndex == node.status.lastIndex, "the leader's first-term entry is not committed")
    }

    /// The leader's current term, for messages built by a benchmark.
    var term: Term { node.hardState.term }

    /// Proposes `batch` as one group of entries and drives the group until all of them are committed and
    /// applied on the leader.
    func proposeAndCommit(_ batch: [[UInt8]]) throws(RaftError) {
        let target = appliedIndex + LogIndex(batch.count)
        try node.propose(contentsOf: batch)
        settle()
        precondition(appliedIndex == target, "batch committed through \(appliedIndex), expected \(target)")
        compactIfNeeded()
    }

    /// One heartbeat interval on the leader: the tick, the heartbeats it sends, and their answers.
    func heartbeatRound() {
        node.tick()
        settle()
    }

    /// Hands `message` to the leader without driving the Ready that may follow.
    func step(_ message: Message) {
        node.step(message)
    }

    /// Handles Readies until the leader has nothing more to hand out: writes and acknowledges each one,
    /// applies its committed entries, and answers its messages on the followers' behalf.
    func settle() {
        var rounds = 0
        while node.hasReady {
            rounds += 1
            precondition(rounds <= 1_000, "the group did not settle")
            let ready = node.ready()
            if let snapshot = ready.snapshot { storage.applySnapshot(snapshot) }
            storage.append(ready.entries)
            if let hardState = ready.hardState { storage.setHardState(hardState) }
            node.persisted(through: ready.number)
            if let last = ready.committedEntries.last {
                appliedIndex = last.index
                node.applied(through: last.index)
            }
            for message in ready.messages { answer(message) }
            for message in ready.persistedMessages { answer(message) }
        }
    }

    /// What a healthy follower whose log matches the leader's would reply to `message`.
    private func answer(_ message: Message) {
        let kind: Message.Kind
        switch message.kind {
        case .vote(_, _, let preVote, _):
            kind = .voteResponse(granted: true, preVote: preVote)
        case .append(let previous, _, let entries, _):
            kind = .appendResponse(index: previous + LogIndex(entries.count), rejection: nil)
        case .heartbeat(_, let context):
            kind = .heartbeatResponse(context: context)
        case .appendResponse, .voteResponse, .heartbeatResponse, .snapshot, .timeoutNow, .transferLeader, .readIndex,
            .readIndexResponse, .propose:
            preconditionFailure("the leader sent an unexpected message: \(message)")
        }
        node.step(Message(from: message.to, to: message.from, term: message.term, kind: kind))
    }

    /// Snapshots and compacts the applied log, as a member does, once it holds `retainedEntries` entries.
    private func compactIfNeeded() {
        guard appliedIndex - storage.currentSnapshot.index >= Self.retainedEntries else { return }
        do {
            try storage.createSnapshot(at: appliedIndex, confState: node.confState, data: [])
            try storage.compact(through: appliedIndex)
        } catch {
            preconditionFailure("compacting the in-memory log through \(appliedIndex) failed: \(error)")
        }
    }
}
