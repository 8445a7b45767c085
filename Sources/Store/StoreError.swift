import MVCC

/// Errors of the member runtime; MVCC's own rule violations arrive as `MVCCError` unchanged.
public enum StoreError: Error, Equatable, Sendable {
    /// The request, encoded, is larger than the configured maximum (`--max-request-bytes`).
    case requestTooLarge(size: Int, limit: Int)
    /// A write was refused because the NOSPACE alarm is active.
    case noSpace
    /// A lease TTL above etcd's maximum.
    case leaseTTLTooLarge(Int64)
    /// The member is stopping or stopped.
    case stopped
    /// The requested change needs a multi-member cluster (Raft), which this member does not run.
    case unsupported(String)
    /// The data directory holds data of another member or is unusable.
    case badDataDirectory(String)
}
