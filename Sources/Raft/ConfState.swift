/// The membership of a group: who votes and who only replicates. A member is in at most one of the two sets.
///
/// Kept as sorted arrays so that every iteration over members, and so every run, is deterministic.
public struct ConfState: Hashable, Sendable, CustomStringConvertible {
    public private(set) var voters: [NodeID]
    public private(set) var learners: [NodeID]

    public init(voters: [NodeID] = [], learners: [NodeID] = []) {
        self.voters = Array(Set(voters)).sorted()
        self.learners = Array(Set(learners).subtracting(voters)).sorted()
    }

    public func isVoter(_ id: NodeID) -> Bool { voters.contains(id) }
    public func isLearner(_ id: NodeID) -> Bool { learners.contains(id) }
    public func contains(_ id: NodeID) -> Bool { isVoter(id) || isLearner(id) }

    /// Every member, voters first.
    public var members: [NodeID] { (voters + learners).sorted() }

    /// The number of voters that make a majority.
    public var quorum: Int { voters.count / 2 + 1 }

    /// The membership after `change`.
    public func applying(_ change: ConfigChange) -> ConfState {
        var voters = Set(voters)
        var learners = Set(learners)
        switch change.kind {
        case .addVoter:
            learners.remove(change.nodeID)
            voters.insert(change.nodeID)
        case .addLearner:
            voters.remove(change.nodeID)
            learners.insert(change.nodeID)
        case .removeNode:
            voters.remove(change.nodeID)
            learners.remove(change.nodeID)
        }
        return ConfState(voters: Array(voters), learners: Array(learners))
    }

    public var description: String {
        "voters=[" + voters.map(String.init).joined(separator: " ") + "] learners=["
            + learners.map(String.init).joined(separator: " ") + "]"
    }
}
