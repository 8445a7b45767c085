import Raft

/// Members joined by a perfect, synchronous network that tests can cut: messages are delivered in order
/// until nothing is left, except on links that are cut.
public struct TestCluster {
    public var members: [NodeID: TestMember] = [:]
    /// Messages sent and not yet delivered, in order.
    public var inFlight: [Message] = []
    /// Links (from, to) on which messages are dropped.
    public var cut: Set<Link> = []
    /// Every message delivered, for tests that inspect traffic.
    public private(set) var delivered: [Message] = []

    public struct Link: Hashable, Sendable {
        public var from: NodeID
        public var to: NodeID
        public init(_ from: NodeID, _ to: NodeID) {
            self.from = from
            self.to = to
        }
    }

    /// `count` voters with ids 1...count.
    public init(voters count: Int, configure: (inout RaftConfiguration) -> Void = { _ in }) {
        let ids = (1...count).map { NodeID($0) }
        for id in ids {
            members[id] = TestMember(id: id, confState: ConfState(voters: ids), configure: configure)
        }
    }

    public init(members: [TestMember]) {
        for member in members { self.members[member.id] = member }
    }

    public var ids: [NodeID] { members.keys.sorted() }

    public subscript(id: NodeID) -> TestMember {
        get { members[id]! }
        _modify { yield &members[id]! }
    }

    /// Handles every pending Ready and delivers every message until the cluster is quiet.
    public mutating func stabilize(maxRounds: Int = 10_000) {
        for _ in 0..<maxRounds {
            var progressed = false
            for id in ids where members[id]!.node.hasReady {
                inFlight += members[id]!.handleReady().messages
                progressed = true
            }
            if !inFlight.isEmpty {
                let batch = inFlight
                inFlight = []
                for message in batch { deliver(message) }
                progressed = true
            }
            if !progressed { return }
        }
        preconditionFailure("cluster did not become quiet within \(maxRounds) rounds")
    }

    /// Delivers one message now, unless its link is cut or its target is absent.
    public mutating func deliver(_ message: Message) {
        guard !cut.contains(Link(message.from, message.to)), members[message.to] != nil else { return }
        delivered.append(message)
        members[message.to]!.node.step(message)
    }

    /// Takes every message delivered so far.
    public mutating func takeDelivered() -> [Message] {
        defer { delivered = [] }
        return delivered
    }

    public mutating func isolate(_ id: NodeID) {
        for other in ids where other != id {
            cut.insert(Link(id, other))
            cut.insert(Link(other, id))
        }
    }

    public mutating func heal() {
        cut = []
    }

    /// Ticks `id` `count` times.
    public mutating func tick(_ id: NodeID, _ count: Int = 1) {
        for _ in 0..<count { members[id]!.node.tick() }
    }

    /// Ticks every member `count` times, running the cluster until quiet after each round.
    public mutating func tickAll(_ count: Int) {
        for _ in 0..<count {
            for id in ids { members[id]!.node.tick() }
            stabilize()
        }
    }

    /// Makes `id` campaign and runs the cluster until quiet.
    public mutating func elect(_ id: NodeID) {
        members[id]!.node.campaign()
        stabilize()
    }

    /// The members that believe they lead.
    public var leaders: [NodeID] { ids.filter { members[$0]!.node.softState.role == .leader } }
}
