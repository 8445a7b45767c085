import Raft

/// One member of a simulated group: the `RaftNode` (gone while crashed), its durable storage, and a durable
/// state machine that records the fingerprint of everything applied.
final class SimulatedMember {
    let id: NodeID
    let storage: MemoryStorage
    var node: RaftNode<MemoryStorage>?
    /// Counts restarts, so that events meant for an earlier life are ignored.
    var incarnation = 0
    /// Readies whose write has been issued and has not completed, oldest first. Lost in a crash.
    var pendingWrites: [Ready] = []
    var lastWriteCompletion = 0
    /// Removed from the group: stopped for good.
    var removed = false

    // Durable application state (written in the same atomic step as applying, as the store does).
    var appliedIndex: LogIndex = 0
    var appliedChain: UInt64 = 0
    var confState: ConfState

    // Fingerprints of the durable log, for the log-matching check: `logChain[i]` is that of the prefix ending
    // at index `logOffset + i`.
    var logOffset: LogIndex = 0
    var logChain: [UInt64] = [0]

    /// Read requests in flight here, with the commit index any answer must reach.
    var pendingReads: [[UInt8]: LogIndex] = [:]
    /// The commit index last seen in this life, to check that it never moves back.
    var lastCommit: LogIndex = 0

    /// A member added to a running group: empty storage, no membership until a snapshot brings it.
    init(joining id: NodeID) {
        self.id = id
        self.confState = ConfState()
        self.storage = MemoryStorage()
    }

    /// An initial member: the log starts after the bootstrap snapshot, whose state is `chain`.
    init(initial id: NodeID, confState: ConfState, chain: UInt64) {
        self.id = id
        self.confState = confState
        let index = Snapshot.bootstrapIndex
        self.storage = MemoryStorage(bootstrap: confState, data: Fingerprint.encode(index: index, chain: chain))
        appliedIndex = index
        appliedChain = chain
        logOffset = index
        logChain = [chain]
    }

    var isAlive: Bool { node != nil }

    func start(options: SimulationOptions) {
        precondition(node == nil, "member \(id) is already running")
        var configuration = RaftConfiguration(
            id: id, seed: Fingerprint.mix(options.seed, Fingerprint.mix(id, UInt64(incarnation))))
        configuration.electionTick = options.electionTick
        configuration.heartbeatTick = options.heartbeatTick
        configuration.preVote = options.preVote
        configuration.checkQuorum = options.checkQuorum
        configuration.maxEntriesPerMessage = options.maxEntriesPerMessage
        configuration.maxInflightMessages = options.maxInflightMessages
        configuration.maxSizePerMessage = 4096
        configuration.applied = appliedIndex
        node = RaftNode(configuration: configuration, storage: storage)
        lastCommit = node!.hardState.commit
    }

    func crash() {
        node = nil
        pendingWrites = []
        pendingReads = [:]
        incarnation += 1
    }
}
