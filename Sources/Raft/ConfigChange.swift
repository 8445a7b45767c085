/// A change of membership of one member, carried in a log entry of kind `.configChange`. It takes effect on
/// each member when that member applies the entry; the leader accepts a new one only after the previous
/// one has been applied, so at most one change is ever in flight.
public struct ConfigChange: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: UInt8, Hashable, Sendable {
        /// Adds a voter, or promotes a learner to voter.
        case addVoter = 0
        /// Adds a learner, or demotes a voter to learner.
        case addLearner = 1
        /// Removes a voter or learner.
        case removeNode = 2
    }

    public var kind: Kind
    public var nodeID: NodeID
    /// Opaque to Raft; the application stores what it needs to reach the member here (its address).
    public var context: [UInt8]

    public init(_ kind: Kind, _ nodeID: NodeID, context: [UInt8] = []) {
        self.kind = kind
        self.nodeID = nodeID
        self.context = context
    }

    /// The entry payload: kind (1 byte), node id (8 bytes, big-endian), then the context.
    public var encoded: [UInt8] {
        var out: [UInt8] = [kind.rawValue]
        out.reserveCapacity(9 + context.count)
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: nodeID >> UInt64(shift)))
        }
        out.append(contentsOf: context)
        return out
    }

    /// Decodes `encoded`; nil when the bytes are not a config change.
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count >= 9, let kind = Kind(rawValue: bytes[0]) else { return nil }
        var id: UInt64 = 0
        for byte in bytes[1..<9] { id = id << 8 | UInt64(byte) }
        self.init(kind, id, context: Array(bytes[9...]))
    }

    public var description: String {
        let name: String
        switch kind {
        case .addVoter: name = "add-voter"
        case .addLearner: name = "add-learner"
        case .removeNode: name = "remove"
        }
        return "conf:\(name)(\(nodeID))"
    }
}
