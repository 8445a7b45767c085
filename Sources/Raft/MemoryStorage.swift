/// `RaftStorage` kept in memory, for tests and simulations. It also offers the writes a driver performs
/// after a `Ready` (append, hard state, snapshot) and compaction.
///
/// A class: the driver writes to the same storage the `RaftNode` reads.
public final class MemoryStorage: RaftStorage {
    public private(set) var hardState: HardState
    /// The membership as of the applied index, which `initialState()` reports.
    public private(set) var confState: ConfState
    public private(set) var currentSnapshot: Snapshot
    /// `log[0]` is a placeholder for the snapshot's last entry (its index and term), so that `term(of:)` can
    /// answer for `firstIndex() - 1`.
    private var log: [Entry]

    public init(hardState: HardState = HardState(), snapshot: Snapshot = Snapshot()) {
        self.hardState = hardState
        self.confState = snapshot.confState
        self.currentSnapshot = snapshot
        self.log = [Entry(term: snapshot.term, index: snapshot.index)]
    }

    /// An empty log with the membership `voters` and `learners`. Only for groups that never add members:
    /// a member added later would replay the log from index 1 without learning this membership.
    public convenience init(voters: [NodeID], learners: [NodeID] = []) {
        self.init(snapshot: Snapshot(confState: ConfState(voters: voters, learners: learners)))
    }

    /// The storage of an initial member of a new group: the log starts after `Snapshot.bootstrap`, so
    /// that members added later receive that snapshot, and with it the initial membership.
    public convenience init(bootstrap confState: ConfState, data: [UInt8] = []) {
        self.init(
            hardState: HardState(term: Snapshot.bootstrapTerm, vote: nil, commit: Snapshot.bootstrapIndex),
            snapshot: .bootstrap(confState, data: data))
    }

    private var offset: LogIndex { log[0].index }

    // MARK: RaftStorage

    public func initialState() throws(RaftStorageError) -> (HardState, ConfState) {
        (hardState, confState)
    }

    public func entries(from lo: LogIndex, to hi: LogIndex, maxSize: Int) throws(RaftStorageError) -> [Entry] {
        if lo <= offset { throw .compacted }
        if hi > lastIndexValue + 1 { throw .unavailable }
        if lo >= hi { return [] }
        return limitSize(log[Int(lo - offset)..<Int(hi - offset)], maxSize: maxSize)
    }

    public func term(of index: LogIndex) throws(RaftStorageError) -> Term {
        if index < offset { throw .compacted }
        if index > lastIndexValue { throw .unavailable }
        return log[Int(index - offset)].term
    }

    public func firstIndex() throws(RaftStorageError) -> LogIndex { offset + 1 }

    public func lastIndex() throws(RaftStorageError) -> LogIndex { lastIndexValue }

    public func snapshot() throws(RaftStorageError) -> Snapshot { currentSnapshot }

    private var lastIndexValue: LogIndex { offset + LogIndex(log.count - 1) }

    // MARK: Writes

    public func setHardState(_ state: HardState) {
        hardState = state
    }

    /// Records the membership in force after applying a change, as the application persists it with its
    /// applied index.
    public func setConfState(_ state: ConfState) {
        confState = state
    }

    /// Installs `snapshot`, dropping every entry; ignored when older than the current one.
    public func applySnapshot(_ snapshot: Snapshot) {
        guard snapshot.index > currentSnapshot.index || currentSnapshot.isEmpty else { return }
        currentSnapshot = snapshot
        confState = snapshot.confState
        log = [Entry(term: snapshot.term, index: snapshot.index)]
    }

    /// Records a snapshot of the application state at `index`, which must be an entry still in the log.
    @discardableResult
    public func createSnapshot(
        at index: LogIndex, confState: ConfState, data: [UInt8]
    ) throws(RaftStorageError)
        -> Snapshot
    {
        if index <= currentSnapshot.index { throw .compacted }
        precondition(index <= lastIndexValue, "snapshot at \(index) is beyond the last entry \(lastIndexValue)")
        currentSnapshot = Snapshot(
            index: index, term: log[Int(index - offset)].term, confState: confState, data: data)
        return currentSnapshot
    }

    /// Drops the entries up to `index`, which must be covered by a snapshot already.
    public func compact(through index: LogIndex) throws(RaftStorageError) {
        if index <= offset { throw .compacted }
        precondition(index <= lastIndexValue, "compaction at \(index) is beyond the last entry \(lastIndexValue)")
        precondition(index <= currentSnapshot.index, "compaction at \(index) beyond the snapshot")
        log.removeFirst(Int(index - offset))
        log[0].data = []
        log[0].kind = .normal
    }

    /// Appends `entries`, replacing any persisted entries from the first one's index on.
    public func append(_ entries: [Entry]) {
        guard let first = entries.first else { return }
        precondition(first.index <= lastIndexValue + 1, "gap in log: appending \(first.index) after \(lastIndexValue)")
        var toAppend = entries[...]
        if first.index <= offset {
            toAppend = toAppend.drop { $0.index <= offset }
            guard !toAppend.isEmpty else { return }
        }
        let keep = Int(toAppend.first!.index - offset)
        log.removeSubrange(keep...)
        log.append(contentsOf: toAppend)
    }
}

/// The longest prefix of `entries` within `maxSize` bytes, and always at least one entry.
func limitSize<C: Collection<Entry>>(_ entries: C, maxSize: Int) -> [Entry] {
    var size = 0
    var out: [Entry] = []
    for entry in entries {
        size += entry.byteSize
        if !out.isEmpty && size > maxSize { break }
        out.append(entry)
    }
    return out
}
