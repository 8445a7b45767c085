/// What a member currently believes about leadership. Volatile: it is never persisted.
public struct SoftState: Hashable, Sendable, CustomStringConvertible {
    public var leader: NodeID?
    public var role: RaftRole

    public init(leader: NodeID?, role: RaftRole) {
        self.leader = leader
        self.role = role
    }

    public var description: String { "leader=\(leader.map(String.init) ?? "-") role=\(role)" }
}
