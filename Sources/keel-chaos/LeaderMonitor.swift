import Synchronization

/// Polls every member's status and notes each change of leader: when the member leading at the highest
/// term seen differs from the last leader noted.
final class LeaderMonitor: Sendable {
    struct Change: Codable, Sendable {
        var nanos: UInt64
        var member: String
        var term: UInt64
    }

    private struct State {
        var leaderID: UInt64?
        var term: UInt64 = 0
        var changes: [Change] = []
    }

    private let cluster: ChaosCluster
    private let clock: RunClock
    private let state = Mutex(State())

    init(cluster: ChaosCluster, clock: RunClock) {
        self.cluster = cluster
        self.clock = clock
    }

    /// Changes after the first leader was seen.
    var changes: [Change] { state.withLock { $0.changes } }

    func run(until stop: @escaping @Sendable () -> Bool) async {
        while !stop() && !Task.isCancelled {
            let statuses = await cluster.statuses()
            let leaders = statuses.indices.filter { statuses[$0]?.isLeader == true }
            if let leader = leaders.max(by: { (statuses[$0]?.raftTerm ?? 0) < (statuses[$1]?.raftTerm ?? 0) }),
                let status = statuses[leader]
            {
                let name = cluster.name(leader)
                let now = clock.nanos
                state.withLock { state in
                    guard status.raftTerm >= state.term, state.leaderID != status.header.memberID else { return }
                    if state.leaderID != nil {
                        state.changes.append(Change(nanos: now, member: name, term: status.raftTerm))
                    }
                    state.leaderID = status.header.memberID
                    state.term = status.raftTerm
                }
            }
            try? await Task.sleep(for: .milliseconds(150))
        }
    }
}
