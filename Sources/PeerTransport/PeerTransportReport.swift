import Raft

/// What the transport tells the Raft driver about delivery, so that it can call `reportUnreachable` and
/// `reportSnapshot` on its node.
public enum PeerTransportReport: Hashable, Sendable {
    /// Envelopes to `peer` were dropped because it could not be reached or its queue was full. Reported at
    /// most once per peer per reconnection back-off period.
    case unreachable(NodeID)
    /// A snapshot to `to` was delivered and acknowledged by the receiver (`succeeded`), or its transfer
    /// failed. Exactly one report follows every snapshot handed to `send`.
    case snapshot(to: NodeID, succeeded: Bool)
    /// The long-lived connection on which `peer` sends its envelopes was closed by `peer`'s end or the
    /// network (a connection this member closed is not reported). A process that dies closes its
    /// connections at once, so this is the earliest sign that `peer` may be gone.
    case connectionLost(NodeID)
}
