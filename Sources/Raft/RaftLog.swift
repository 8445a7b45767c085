/// The log as one member sees it: the persisted part read through `RaftStorage`, the unstable tail held
/// here, and the indexes that say how far it is committed, persisted and applied.
///
/// Invariants: `applied <= applying <= committed <= lastIndex`, `persisted <= lastIndex`; committed entries are
/// handed out for applying only once persisted.
struct RaftLog<Storage: RaftStorage> {
    let storage: Storage
    var unstable: UnstableLog
    /// The highest index known to be stored on a quorum.
    var committed: LogIndex
    /// The highest index handed to the driver to apply.
    var applying: LogIndex
    /// The highest index the driver has applied.
    var applied: LogIndex
    /// The highest index of this log known to be durable here.
    var persisted: LogIndex
    let maxApplyingSize: Int

    init(storage: Storage, maxApplyingSize: Int) {
        self.storage = storage
        let first = Self.fatalOnError { () throws(RaftStorageError) in try storage.firstIndex() }
        let last = Self.fatalOnError { () throws(RaftStorageError) in try storage.lastIndex() }
        unstable = UnstableLog(offset: last + 1)
        committed = first - 1
        applying = first - 1
        applied = first - 1
        persisted = last
        self.maxApplyingSize = maxApplyingSize
    }

    static func fatalOnError<T>(_ body: () throws(RaftStorageError) -> T) -> T {
        do {
            return try body()
        } catch {
            preconditionFailure("raft storage failed: \(error)")
        }
    }

    var firstIndex: LogIndex {
        unstable.firstIndex ?? Self.fatalOnError { () throws(RaftStorageError) in try storage.firstIndex() }
    }

    var lastIndex: LogIndex {
        unstable.lastIndex ?? Self.fatalOnError { () throws(RaftStorageError) in try storage.lastIndex() }
    }

    /// The term of entry `index`; throws `compacted` below the snapshot, `unavailable` beyond the last entry.
    func term(of index: LogIndex) throws(RaftStorageError) -> Term {
        let dummy = firstIndex - 1
        if index < dummy { throw .compacted }
        if index > lastIndex { throw .unavailable }
        if let term = unstable.term(of: index) { return term }
        do {
            return try storage.term(of: index)
        } catch {
            switch error {
            case .compacted, .unavailable: throw error
            case .snapshotTemporarilyUnavailable, .failure: preconditionFailure("raft storage failed: \(error)")
            }
        }
    }

    /// The term of `index`, or 0 when it is compacted or beyond the log.
    func termOrZero(_ index: LogIndex) -> Term {
        (try? term(of: index)) ?? 0
    }

    var lastTerm: Term {
        do {
            return try term(of: lastIndex)
        } catch {
            preconditionFailure("term of the last entry unavailable: \(error)")
        }
    }

    func matchTerm(_ index: LogIndex, _ term: Term) -> Bool {
        (try? self.term(of: index)) == term
    }

    /// Whether a log ending at (`index`, `term`) is at least as up-to-date as this one (§5.4.1).
    func isUpToDate(lastIndex index: LogIndex, lastTerm term: Term) -> Bool {
        term > lastTerm || (term == lastTerm && index >= lastIndex)
    }

    // MARK: Appending

    /// Appends `entries` after (`previous`, `previousTerm`) if this log has that entry, replacing whatever
    /// conflicts; returns the index of the last new entry, or nil when the log does not match.
    mutating func maybeAppend(
        previous: LogIndex, previousTerm: Term, commit: LogIndex, entries: [Entry]
    )
        -> LogIndex?
    {
        guard matchTerm(previous, previousTerm) else { return nil }
        let lastNew = previous + LogIndex(entries.count)
        let conflict = findConflict(entries)
        if conflict != 0 {
            precondition(conflict > committed, "entry \(conflict) conflicts with committed entry \(committed)")
            append(Array(entries[Int(conflict - previous - 1)...]))
        }
        commitTo(min(commit, lastNew))
        return lastNew
    }

    /// Appends entries that follow or overwrite the uncommitted tail; returns the new last index.
    @discardableResult
    mutating func append(_ entries: [Entry]) -> LogIndex {
        guard let first = entries.first else { return lastIndex }
        precondition(first.index > committed, "appending \(first.index) at or below commit \(committed)")
        unstable.truncateAndAppend(entries)
        if first.index <= persisted { persisted = first.index - 1 }
        return lastIndex
    }

    /// The index of the first entry of `entries` that differs from this log (a different term, or beyond
    /// the end), or 0 when all are present.
    func findConflict(_ entries: [Entry]) -> LogIndex {
        for entry in entries where !matchTerm(entry.index, entry.term) {
            return entry.index
        }
        return 0
    }

    /// The last entry at or below `index` whose term is at most `term`: the point up to which this log may
    /// match a log whose entry `index` has term `term`. (0, 0) or a compacted position when none is known.
    func findConflictByTerm(index: LogIndex, term: Term) -> (index: LogIndex, term: Term) {
        var i = index
        while true {
            guard let found = try? self.term(of: i) else { return (i, 0) }
            if found <= term || i == 0 { return (i, found) }
            i -= 1
        }
    }

    // MARK: Reading

    /// Entries from `lo` to the end, within `maxSize` bytes (at least one).
    func entries(from lo: LogIndex, maxSize: Int) throws(RaftStorageError) -> [Entry] {
        if lo > lastIndex { return [] }
        return try slice(lo, lastIndex + 1, maxSize: maxSize)
    }

    /// Entries in `lo..<hi` within `maxSize` bytes (at least one when the range is not empty).
    func slice(_ lo: LogIndex, _ hi: LogIndex, maxSize: Int) throws(RaftStorageError) -> [Entry] {
        if lo < firstIndex { throw .compacted }
        precondition(hi <= lastIndex + 1, "slice \(lo)..<\(hi) beyond last index \(lastIndex)")
        if lo >= hi { return [] }
        var out: [Entry] = []
        if lo < unstable.offset {
            let stored: [Entry]
            do {
                stored = try storage.entries(from: lo, to: min(hi, unstable.offset), maxSize: maxSize)
            } catch {
                switch error {
                case .compacted: throw error
                case .unavailable, .snapshotTemporarilyUnavailable, .failure:
                    preconditionFailure("entries \(lo)..<\(min(hi, unstable.offset)) unavailable: \(error)")
                }
            }
            if LogIndex(stored.count) < min(hi, unstable.offset) - lo { return stored }
            out = stored
        }
        if hi > unstable.offset {
            out.append(contentsOf: unstable.slice(max(lo, unstable.offset), hi))
        }
        return limitSize(out, maxSize: maxSize)
    }

    func allEntries() -> [Entry] {
        (try? entries(from: firstIndex, maxSize: .max)) ?? []
    }

    // MARK: Commit and apply

    mutating func commitTo(_ index: LogIndex) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "commit \(index) is beyond the last index \(lastIndex)")
        committed = index
    }

    /// Commits up to `index` if that entry is of `term` (only entries of the leader's term are committed by
    /// counting replicas, §5.4.2).
    mutating func maybeCommit(index: LogIndex, term: Term) -> Bool {
        guard index > committed, termOrZero(index) == term else { return false }
        commitTo(index)
        return true
    }

    var hasPendingSnapshot: Bool { unstable.snapshot != nil }

    /// The highest index that may be handed out for applying: committed and persisted.
    private var applicableIndex: LogIndex { min(committed, persisted) }

    var hasNextCommittedEntries: Bool {
        !hasPendingSnapshot && applying < applicableIndex
    }

    func nextCommittedEntries() -> [Entry] {
        guard hasNextCommittedEntries else { return [] }
        do {
            return try slice(applying + 1, applicableIndex + 1, maxSize: maxApplyingSize)
        } catch {
            preconditionFailure("committed entries after \(applying) unavailable: \(error)")
        }
    }

    mutating func accept(applying index: LogIndex) {
        applying = max(applying, index)
    }

    mutating func applied(through index: LogIndex) {
        applied = max(applied, min(index, applying))
    }

    // MARK: Persistence

    mutating func stableTo(index: LogIndex, term: Term) {
        if unstable.stableTo(index: index, term: term) {
            persisted = max(persisted, index)
        }
    }

    mutating func stableSnapshotTo(index: LogIndex) {
        guard unstable.snapshot?.index == index else { return }
        unstable.stableSnapshotTo(index: index)
        persisted = max(persisted, index)
        applying = max(applying, index)
        applied = max(applied, index)
    }

    /// Replaces the log by `snapshot`.
    mutating func restore(_ snapshot: Snapshot) {
        committed = snapshot.index
        persisted = min(persisted, snapshot.index)
        unstable.restore(snapshot)
    }
}

extension RaftLog: Sendable where Storage: Sendable {}
