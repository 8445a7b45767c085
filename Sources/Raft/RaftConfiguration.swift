/// How a `RaftNode` behaves. Times are counted in ticks: the driver calls `tick()` at a fixed interval.
public struct RaftConfiguration: Sendable {
    /// This member's id; never zero.
    public var id: NodeID
    /// A follower that hears nothing from a leader for a random number of ticks in
    /// `electionTick..<2*electionTick` starts an election.
    public var electionTick: Int = 10
    /// A leader sends heartbeats every `heartbeatTick` ticks. Must be below `electionTick`.
    public var heartbeatTick: Int = 1
    /// The last index the application has applied, when restarting; entries after it are handed out again.
    /// It may be above the stored commit index (entries are applied as soon as they are committed and durable,
    /// possibly before the hard state that records the commit is written).
    public var applied: LogIndex = 0
    /// The largest append message in bytes (at least one entry is always sent).
    public var maxSizePerMessage: Int = 1 << 20
    /// The most entries in one append message.
    public var maxEntriesPerMessage: Int = 512
    /// The most append messages in flight to one follower in replicate state.
    public var maxInflightMessages: Int = 256
    /// The most bytes in flight to one follower; 0 for no limit.
    public var maxInflightBytes: Int = 0
    /// The most bytes of committed entries in one `Ready` (at least one entry is always handed out).
    public var maxCommittedSizePerReady: Int = 1 << 24
    /// A candidate first asks whether it could win (§9.6), so a member that rejoins after a partition does
    /// not depose a working leader by raising the term.
    public var preVote: Bool = true
    /// A leader that has not heard from a quorum within an election timeout steps down; followers ignore
    /// vote requests while they hear from a leader.
    public var checkQuorum: Bool = true
    /// Followers pass proposals on to the leader; otherwise `propose` fails on followers.
    public var forwardProposals: Bool = true
    /// The only source of randomness (election timeouts).
    public var random: SplitMix64

    /// `seed` defaults to `id`, which suits tests; a real member passes a seed drawn from the system's
    /// generator, so that members of different groups do not time out in lockstep.
    public init(id: NodeID, seed: UInt64? = nil) {
        precondition(id != 0, "node id 0 is reserved")
        self.id = id
        self.random = SplitMix64(seed: seed ?? id)
    }

    func validate() {
        precondition(id != 0, "node id 0 is reserved")
        precondition(heartbeatTick > 0, "heartbeatTick must be positive")
        precondition(electionTick > heartbeatTick, "electionTick must be greater than heartbeatTick")
        precondition(maxInflightMessages > 0, "maxInflightMessages must be positive")
        precondition(maxEntriesPerMessage > 0, "maxEntriesPerMessage must be positive")
    }
}
