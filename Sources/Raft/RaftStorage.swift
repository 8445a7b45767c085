/// Read access to a member's stable storage: what has been persisted from earlier `Ready`s. Raft never
/// writes through it; the driver writes, then acknowledges with `RaftNode.persisted(through:)`.
///
/// Errors other than `compacted` and `unavailable` (and `snapshotTemporarilyUnavailable` from `snapshot()`)
/// are treated as fatal: the member stops with a precondition failure, as it cannot go on safely.
public protocol RaftStorage {
    /// The persisted hard state, and the membership as of the applied index (that of the last applied
    /// configuration change, or of the snapshot), read once when a `RaftNode` is created.
    func initialState() throws(RaftStorageError) -> (HardState, ConfState)

    /// Entries in `lo..<hi`, at least one if any, and no more than fit in `maxSize` bytes (see
    /// `Entry.byteSize`). Throws `compacted` when `lo` is below `firstIndex()`, `unavailable` when `hi` is
    /// above `lastIndex() + 1`.
    func entries(from lo: LogIndex, to hi: LogIndex, maxSize: Int) throws(RaftStorageError) -> [Entry]

    /// The term of entry `index`, for `firstIndex() - 1 ... lastIndex()` (the former is the snapshot's).
    func term(of index: LogIndex) throws(RaftStorageError) -> Term

    /// The index of the first entry still available; the entry before it is covered by the snapshot.
    func firstIndex() throws(RaftStorageError) -> LogIndex

    /// The index of the last entry persisted.
    func lastIndex() throws(RaftStorageError) -> LogIndex

    /// The most recent snapshot.
    func snapshot() throws(RaftStorageError) -> Snapshot
}

/// Why storage could not answer.
public enum RaftStorageError: Error, Hashable, Sendable {
    /// The requested index is below the first available: compacted into a snapshot.
    case compacted
    /// The requested index is beyond the last persisted entry.
    case unavailable
    /// A snapshot is being prepared; Raft asks again later.
    case snapshotTemporarilyUnavailable
    /// Anything else; fatal to the member.
    case failure(String)
}
