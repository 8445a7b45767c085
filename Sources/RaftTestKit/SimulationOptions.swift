import Raft

/// What one simulated run does. `random(seed:)` derives a varied mix of faults and settings from the seed,
/// so that many seeds cover many combinations.
public struct SimulationOptions: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var members: Int
    /// Virtual milliseconds during which faults are injected.
    public var faultDuration: Int = 3_000
    /// Virtual milliseconds allowed, after faults stop, for every member to apply a final proposal.
    public var recoveryDeadline: Int = 30_000
    /// Virtual milliseconds between ticks of a member.
    public var tickInterval: Int = 10
    public var electionTick: Int = 10
    public var heartbeatTick: Int = 2
    public var preVote: Bool = true
    public var checkQuorum: Bool = true
    public var maxEntriesPerMessage: Int = 8
    public var maxInflightMessages: Int = 4
    /// Probability that a message is lost, or delivered twice.
    public var dropRate: Double = 0.02
    public var duplicateRate: Double = 0.02
    /// Message delays are drawn from 1...maxDelay ms, with an occasional straggler up to 5·maxDelay.
    public var maxDelay: Int = 10
    /// Writes take 1...maxWriteDelay ms, completing in order.
    public var maxWriteDelay: Int = 4
    /// Milliseconds between fault or client actions.
    public var actionInterval: ClosedRange<Int> = 5...60
    public var crashes: Bool = true
    public var partitions: Bool = true
    public var leaderTransfers: Bool = true
    public var reads: Bool = true
    public var membershipChanges: Bool = true
    /// A member snapshots and compacts once it has applied this many entries past its last snapshot; 0 never.
    public var compactionInterval: Int = 40

    public init(seed: UInt64, members: Int) {
        self.seed = seed
        self.members = members
    }

    /// A configuration drawn from `seed`: 3 or 5 members, with or without pre-vote and check-quorum, and
    /// faults of varying intensity.
    public static func random(seed: UInt64) -> SimulationOptions {
        var random = SplitMix64(seed: seed ^ 0x5EED_0F_5EED)
        var options = SimulationOptions(seed: seed, members: random.chance(0.5) ? 3 : 5)
        options.preVote = random.chance(0.75)
        options.checkQuorum = random.chance(0.75)
        options.dropRate = [0, 0.01, 0.05, 0.15][random.next(in: 0...3)]
        options.duplicateRate = [0, 0.02, 0.1][random.next(in: 0...2)]
        options.maxDelay = [3, 10, 30][random.next(in: 0...2)]
        options.maxWriteDelay = [1, 4, 15][random.next(in: 0...2)]
        options.maxEntriesPerMessage = [1, 8, 64][random.next(in: 0...2)]
        options.maxInflightMessages = [1, 4, 64][random.next(in: 0...2)]
        options.crashes = random.chance(0.7)
        options.partitions = random.chance(0.7)
        options.leaderTransfers = random.chance(0.5)
        options.reads = random.chance(0.7)
        options.membershipChanges = random.chance(0.5)
        options.compactionInterval = [0, 10, 40][random.next(in: 0...2)]
        return options
    }

    public var description: String {
        var flags: [String] = []
        if preVote { flags.append("prevote") }
        if checkQuorum { flags.append("checkquorum") }
        if crashes { flags.append("crashes") }
        if partitions { flags.append("partitions") }
        if leaderTransfers { flags.append("transfers") }
        if reads { flags.append("reads") }
        if membershipChanges { flags.append("membership") }
        return "members=\(members) drop=\(dropRate) dup=\(duplicateRate) delay<=\(maxDelay) write<=\(maxWriteDelay)"
            + " batch=\(maxEntriesPerMessage) inflight=\(maxInflightMessages) compact=\(compactionInterval) "
            + flags.joined(separator: ",")
    }
}
