/// The tail of the log not yet known to be persisted: an incoming snapshot and entries after it, or after
/// the stable log. Entries from `offsetInProgress` on have not yet been handed to the driver in a `Ready`.
struct UnstableLog: Hashable, Sendable {
    var snapshot: Snapshot?
    /// `entries[i].index == offset + i`.
    var entries: [Entry] = []
    var offset: LogIndex
    /// The snapshot has been handed out and is being written.
    var snapshotInProgress = false
    /// Entries below this index have been handed out and are being written.
    var offsetInProgress: LogIndex

    init(offset: LogIndex) {
        self.offset = offset
        self.offsetInProgress = offset
    }

    /// The index of the first entry, if the snapshot makes it known.
    var firstIndex: LogIndex? { snapshot.map { $0.index + 1 } }

    var lastIndex: LogIndex? {
        if !entries.isEmpty { return offset + LogIndex(entries.count) - 1 }
        return snapshot?.index
    }

    func term(of index: LogIndex) -> Term? {
        if index < offset {
            if let snapshot, snapshot.index == index { return snapshot.term }
            return nil
        }
        guard let last = lastIndex, index <= last else { return nil }
        return entries[Int(index - offset)].term
    }

    /// Entries not yet handed out.
    var nextEntries: ArraySlice<Entry> {
        let start = Int(offsetInProgress - offset)
        return start < entries.count ? entries[start...] : []
    }

    var nextSnapshot: Snapshot? { snapshotInProgress ? nil : snapshot }

    /// Marks everything currently held as handed out.
    mutating func acceptInProgress() {
        if !entries.isEmpty { offsetInProgress = entries[entries.count - 1].index + 1 }
        if snapshot != nil { snapshotInProgress = true }
    }

    /// Entries up to `index` (of `term`) are persisted. Ignored when that entry has been replaced since.
    mutating func stableTo(index: LogIndex, term: Term) -> Bool {
        guard let found = self.term(of: index), found == term, index >= offset else { return false }
        let count = Int(index + 1 - offset)
        entries.removeFirst(count)
        offset = index + 1
        offsetInProgress = max(offsetInProgress, offset)
        return true
    }

    mutating func stableSnapshotTo(index: LogIndex) {
        if let snapshot, snapshot.index == index {
            self.snapshot = nil
            snapshotInProgress = false
        }
    }

    mutating func restore(_ snapshot: Snapshot) {
        offset = snapshot.index + 1
        offsetInProgress = offset
        entries = []
        self.snapshot = snapshot
        snapshotInProgress = false
    }

    /// Adds `newEntries`, dropping any held entries they conflict with.
    mutating func truncateAndAppend(_ newEntries: [Entry]) {
        guard let first = newEntries.first?.index else { return }
        if first == offset + LogIndex(entries.count) {
            entries.append(contentsOf: newEntries)
        } else if first <= offset {
            // Replaces everything held: the new entries start at or before the unstable tail.
            offset = first
            entries = newEntries
        } else {
            precondition(first < offset + LogIndex(entries.count), "gap in unstable log before \(first)")
            entries.removeSubrange(Int(first - offset)...)
            entries.append(contentsOf: newEntries)
        }
        offsetInProgress = min(offsetInProgress, first)
    }

    /// Entries in `lo..<hi`, all of which must be held.
    func slice(_ lo: LogIndex, _ hi: LogIndex) -> ArraySlice<Entry> {
        precondition(
            lo >= offset && hi <= offset + LogIndex(entries.count), "unstable slice \(lo)..<\(hi) out of range")
        return entries[Int(lo - offset)..<Int(hi - offset)]
    }
}
