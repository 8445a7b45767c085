/// Why a request to a `RaftNode` was refused. Refused proposals were not appended and may be retried.
public enum RaftError: Error, Hashable, Sendable {
    /// No leader is known, or proposals cannot be forwarded to it.
    case noLeader
    /// Leadership is being transferred; proposals wait for the new leader.
    case leadershipTransferInProgress
    /// A membership change is proposed and not yet applied.
    case configChangeInProgress
    /// The member is not part of the group it would propose to.
    case notMember
}
