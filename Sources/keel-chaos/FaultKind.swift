import ArgumentParser

/// The faults the nemesis can inject. Each is recorded as a `FaultRecord` whose kind is the raw value.
enum FaultKind: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// SIGKILL the leader; restart it (same data and ports) after the restart delay.
    case killLeader = "kill-leader"
    /// SIGKILL a random member; restart it after the restart delay.
    case killMember = "kill-member"
    /// SIGSTOP the leader for longer than the election timeout, then SIGCONT.
    case pauseLeader = "pause-leader"
    /// Cut every peer link between the leader and the others, both ways, then heal.
    case partitionLeader = "partition-leader"
    /// Delay every peer frame, then heal.
    case delayPeers = "delay-peers"
    /// Drop a share of the Raft messages between all members, then heal.
    case dropPeers = "drop-peers"
    /// SIGTERM a random member and start it again.
    case restartMember = "restart-member"
    /// Remove a follower, wipe its data, add it back as a learner, start it, promote it once caught up.
    case replaceMember = "replace-member"
    /// Compact the key space below every watcher's last received revision.
    case compact
    /// Defragment one member's backend.
    case defrag

    /// Whether the fault needs processes the runner started.
    var needsProcesses: Bool {
        switch self {
        case .killLeader, .killMember, .restartMember, .replaceMember: true
        case .pauseLeader, .partitionLeader, .delayPeers, .dropPeers, .compact, .defrag: false
        }
    }

    /// Whether the fault needs the peer proxies (present only in front of members the runner started).
    var needsProxy: Bool {
        switch self {
        case .partitionLeader, .delayPeers, .dropPeers: true
        case .killLeader, .killMember, .pauseLeader, .restartMember, .replaceMember, .compact, .defrag: false
        }
    }

    /// Whether the fault needs the members' PIDs.
    var needsSignals: Bool { self == .pauseLeader || needsProcesses }
}

/// A fault kind with its weight in the nemesis's random choice: `kill-leader:3` is chosen three times as
/// often as a fault of weight 1.
struct WeightedFault: Sendable, ExpressibleByArgument {
    var kind: FaultKind
    var weight: Int

    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1)
        guard let kind = FaultKind(rawValue: String(parts[0])) else { return nil }
        self.kind = kind
        if parts.count == 2 {
            guard let weight = Int(parts[1]), weight >= 0 else { return nil }
            self.weight = weight
        } else {
            self.weight = 1
        }
    }

    init(kind: FaultKind, weight: Int) {
        self.kind = kind
        self.weight = weight
    }
}
