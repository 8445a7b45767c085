import MVCC

/// Errors of the member runtime; MVCC's own rule violations arrive as `MVCCError` unchanged.
public enum StoreError: Error, Equatable, Sendable {
    /// The request, encoded, is larger than the configured maximum (`--max-request-bytes`).
    case requestTooLarge(size: Int, limit: Int)
    /// A write was refused because the NOSPACE alarm is active.
    case noSpace
    /// A write was refused because the CORRUPT alarm is active: some member's data disagrees with the others'.
    case corrupt
    /// The member could not persist its Raft log and applied state (a full disk, an I/O error) and stopped;
    /// nothing of the failed batch was written.
    case persistenceFailed(String)
    /// A lease TTL above etcd's maximum.
    case leaseTTLTooLarge(Int64)
    /// The member is stopping or stopped.
    case stopped
    /// The requested change needs a multi-member cluster (Raft), which this member does not run.
    case unsupported(String)
    /// The data directory holds data of another member or is unusable.
    case badDataDirectory(String)
    /// The configuration cannot start a member (flags that contradict each other or the data directory).
    case invalidConfiguration(String)
    /// The cluster did not commit the request in time (no quorum, or the leader changed meanwhile).
    case timeout
    /// No leader is known: the cluster has lost its quorum or is electing one.
    case noLeader
    /// No member has this id.
    case memberNotFound(UInt64)
    /// A member with this id already exists (or existed and was removed).
    case memberExists(UInt64)
    /// Another member already uses one of these peer URLs.
    case peerURLExists(String)
    /// The cluster already has a learner; etcd allows one at a time.
    case tooManyLearners
    /// Only a learner can be promoted.
    case memberNotLearner(UInt64)
    /// A learner is promoted only once its log has caught up with the leader's.
    case learnerNotReady(UInt64)
    /// Removing or demoting this member would leave the cluster without a quorum of started members.
    case unhealthyCluster
    /// Leadership can be handed only to a voting member other than the leader.
    case badLeaderTransferee(UInt64)
    /// This member was removed from its cluster and stops serving.
    case removedMember
    /// A learner serves no linearizable requests that need a vote (etcd: "rpc not supported for learner").
    case learnerRequest
}
