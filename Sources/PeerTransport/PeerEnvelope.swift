import Raft

/// One unit the peer transport carries from a member to another: a Raft message, or a small frame of the
/// layer above (for example a lease renewal forwarded to the leader) that shares the same connections.
///
/// Envelopes to one destination are delivered in the order they were sent, or not at all; a snapshot
/// message travels on its own connection and so is not ordered with the others.
public enum PeerEnvelope: Hashable, Sendable {
    case raft(Message)
    /// `kind` is the application's own discriminator; the transport does not interpret it.
    case application(kind: UInt8, payload: [UInt8], from: NodeID, to: NodeID)

    /// The member the envelope is for.
    public var destination: NodeID {
        switch self {
        case .raft(let message): return message.to
        case .application(_, _, _, let to): return to
        }
    }

    /// The member that sent the envelope.
    public var source: NodeID {
        switch self {
        case .raft(let message): return message.from
        case .application(_, _, let from, _): return from
        }
    }

    /// True for a Raft snapshot, which the transport sends on a dedicated connection.
    public var isSnapshot: Bool {
        if case .raft(let message) = self, case .snapshot = message.kind { return true }
        return false
    }
}
