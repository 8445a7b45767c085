import EtcdAPI
import GRPCCore

/// What one member says of itself in a Maintenance.Status answer.
struct MemberStatus: Sendable {
    let memberID: UInt64
    let leader: UInt64
    let appliedIndex: UInt64
    let version: String

    init(_ response: Etcdserverpb_StatusResponse) {
        memberID = response.header.memberID
        leader = response.leader
        appliedIndex = response.raftAppliedIndex
        version = response.version
    }
}

/// The Status of every member at about one moment, nil for a member that did not answer in time.
struct ClusterStatus: Sendable {
    let members: [MemberStatus?]

    /// Asks every member at once, each with `timeout` to answer.
    static func poll(_ clients: [MemberClient], timeout: Duration) async -> ClusterStatus {
        var options = CallOptions.defaults
        options.timeout = timeout
        let callOptions = options
        let answers = await withTaskGroup(of: (Int, MemberStatus?).self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    let response = try? await client.maintenance.status(
                        Etcdserverpb_StatusRequest(), options: callOptions)
                    return (index, response.map(MemberStatus.init))
                }
            }
            var answers = [MemberStatus?](repeating: nil, count: clients.count)
            for await (index, answer) in group { answers[index] = answer }
            return answers
        }
        return ClusterStatus(members: answers)
    }

    /// The leader every member names, when all answered and agree on one.
    var agreedLeader: UInt64? {
        guard let first = members.first??.leader, first != 0 else { return nil }
        return members.allSatisfy({ $0?.leader == first }) ? first : nil
    }

    /// Whether member `index` has applied all the others have, less `margin` entries.
    func hasCaughtUp(_ index: Int, margin: UInt64) -> Bool {
        guard let own = members[index]?.appliedIndex else { return false }
        let others = members.indices.filter { $0 != index }.compactMap { members[$0]?.appliedIndex }
        guard others.count == members.count - 1, let highest = others.max() else { return false }
        return own + margin >= highest
    }
}
