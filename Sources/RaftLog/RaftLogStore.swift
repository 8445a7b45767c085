import LMDB
import Raft

/// A member's Raft log and Raft state. Entries and hard states go to a `WriteAheadLog` (segment files in
/// `wal/` inside the environment's directory): one sequential write and one sync per batch. What belongs with
/// the application's data stays in LMDB, in the `raft_state` database, written in the application's own
/// transactions: the membership with the applied index, the snapshot metadata and payload, the log start
/// (the index and term of the entry before the first available one), the first log segment to replay, and
/// the hard state as of the last snapshot or bootstrap (the log's newer hard states override it).
///
/// The entries since the log start are also kept in memory, so Raft reads them without touching the disk.
/// `save(entries:hardState:sync:)` writes to the log and publishes at once. The LMDB writes run inside a
/// caller's `WriteTransaction` and are staged: the in-memory state moves only when the caller reports the
/// commit with `committed()`, or drops the staged changes with `rolledBack()` when the transaction aborts or
/// its commit fails. So the cache is never ahead of the disk. `write(_:)` does that bookkeeping for callers
/// that need no transaction of their own.
///
/// Guarantees, given that the caller commits what it stages and saves with `sync` what Raft says must be
/// synced: after a crash and reopen the store answers as it did after the last synced save and the last
/// committed transaction. A database written before the log moved out of LMDB (entries in `raft_log`) is
/// carried over to the log when opened.
///
/// Not thread-safe: owned by one driver, like the `RaftNode` that reads it. The environment must allow two
/// more named databases than its other users need.
public final class RaftLogStore: RaftStorage {
    public static let logDatabaseName = "raft_log"
    public static let stateDatabaseName = "raft_state"

    private enum StateKey {
        static let hardState = Array("hard_state".utf8)
        static let membership = Array("conf_state".utf8)
        static let snapshot = Array("snapshot".utf8)
        static let snapshotData = Array("snapshot_data".utf8)
        static let logStart = Array("log_start".utf8)
        static let firstLogSegment = Array("first_log_segment".utf8)
    }

    /// What `raft_state` and the bounds of `raft_log` hold, as of one transaction.
    private struct State {
        var hardState = HardState()
        var confState = ConfState()
        var appliedIndex: LogIndex = 0
        /// Without its payload, which is read from disk when asked for.
        var snapshot = Snapshot()
        /// The entry before the first available one: the snapshot's, or the last compacted.
        var start = LogPosition(index: 0, term: 0)
        /// The entries after `start`, in index order.
        var entries: [Entry] = []
        var lastIndex: LogIndex { start.index + LogIndex(entries.count) }

        var isEmpty: Bool { hardState == HardState() && snapshot.isEmpty && lastIndex == 0 }
    }

    public let environment: Environment
    /// Holds entries only in databases written before the write-ahead log; emptied when opened.
    private let log: Database
    private let state: Database
    private var wal: WriteAheadLog!
    /// Set when the staged transaction replaces the log with a snapshot: the log's segments go on commit.
    private var stagedLogReset = false

    /// The state as of the last commit reported by `committed()`.
    private var published: State
    /// The state as of the transaction that is staging writes, if any.
    private var staged: State?
    /// Held weakly so that a transaction that ended without `committed()` or `rolledBack()` is detected.
    private weak var stagingTransaction: WriteTransaction?

    /// Opens the Raft databases in `environment` (creating them if needed) and loads the stored state. An
    /// environment without Raft state gives an empty store: a member joining a running group, which learns
    /// everything from the leader's snapshot.
    ///
    /// `logSegmentSize` is the size at which the write-ahead log starts a new segment file.
    public init(environment: Environment, logSegmentSize: Int = 16 << 20) throws {
        self.environment = environment
        log = try environment.openDatabase(Self.logDatabaseName, flags: .create)
        state = try environment.openDatabase(Self.stateDatabaseName, flags: .create)
        published = State()
        var loaded = State()
        var legacyEntries: [Entry] = []
        var firstSegment: UInt64 = 0
        try environment.read { txn in
            loaded = try self.load(txn)
            legacyEntries = loaded.entries
            firstSegment = try self.record(txn, StateKey.firstLogSegment, RaftLogEncoding.decodeUInt64) ?? 0
        }
        let directory =
            environment.configuration.usesSubdirectory ? environment.path + "/wal" : environment.path + "-wal"
        // The log syncs as its environment does: not at all for throw-away data (`MDB_NOSYNC`).
        wal = try WriteAheadLog(
            directory: directory, firstSegment: firstSegment, compactedThrough: loaded.start.index,
            segmentSize: logSegmentSize,
            syncs: environment.configuration.durability != .noSync
        ) { record in
            switch record {
            case .entries(let entries): try Self.merge(entries, into: &loaded)
            case .hardState(let hardState): loaded.hardState = hardState
            }
        }
        if loaded.hardState.commit < loaded.start.index && !loaded.snapshot.isEmpty {
            // Everything up to the snapshot is committed, whatever the last saved hard state says.
            loaded.hardState.commit = loaded.start.index
        }
        published = loaded
        if !legacyEntries.isEmpty {
            try wal.append(
                entries: legacyEntries, hardState: loaded.hardState, nextIndex: loaded.lastIndex + 1,
                currentHardState: loaded.hardState, sync: true)
            try environment.write { txn in try txn.empty(log) }
        }
    }

    /// Opens the store of an initial member of a new group: a store without Raft state starts from
    /// `Snapshot.bootstrap(confState, data:)` (term 1, committed through index 1), written before this
    /// returns. A store that has state (a restart) is opened as it is; `confState` is then ignored.
    public convenience init(
        environment: Environment, bootstrap confState: ConfState, data: [UInt8] = [], logSegmentSize: Int = 16 << 20
    ) throws {
        try self.init(environment: environment, logSegmentSize: logSegmentSize)
        if isEmpty {
            try write { txn in try self.bootstrap(confState, data: data, in: txn) }
        }
    }

    // MARK: Committed state

    /// Whether nothing is stored: no hard state, snapshot or entry.
    public var isEmpty: Bool { published.isEmpty }
    public var hardState: HardState { published.hardState }
    /// The membership as of `appliedIndex`.
    public var confState: ConfState { published.confState }
    /// The applied index recorded with the membership by `setConfState(_:appliedIndex:in:)` or a snapshot;
    /// the `RaftConfiguration.applied` to restart with.
    public var appliedIndex: LogIndex { published.appliedIndex }

    // MARK: RaftStorage

    public func initialState() throws(RaftStorageError) -> (HardState, ConfState) {
        (published.hardState, published.confState)
    }

    public func entries(from lo: LogIndex, to hi: LogIndex, maxSize: Int) throws(RaftStorageError) -> [Entry] {
        let bounds = published
        if lo <= bounds.start.index { throw .compacted }
        if hi > bounds.lastIndex + 1 { throw .unavailable }
        if lo >= hi { return [] }
        let base = Int(lo - bounds.start.index - 1)
        var end = base + 1
        var size = bounds.entries[base].byteSize
        while end < Int(hi - bounds.start.index - 1) {
            size += bounds.entries[end].byteSize
            if size > maxSize { break }
            end += 1
        }
        return Array(bounds.entries[base..<end])
    }

    public func term(of index: LogIndex) throws(RaftStorageError) -> Term {
        let bounds = published
        if index < bounds.start.index { throw .compacted }
        if index > bounds.lastIndex { throw .unavailable }
        if index == bounds.start.index { return bounds.start.term }
        return bounds.entries[Int(index - bounds.start.index - 1)].term
    }

    public func firstIndex() throws(RaftStorageError) -> LogIndex { published.start.index + 1 }

    public func lastIndex() throws(RaftStorageError) -> LogIndex { published.lastIndex }

    public func snapshot() throws(RaftStorageError) -> Snapshot {
        var snapshot = published.snapshot
        if !snapshot.isEmpty {
            snapshot.data = try Self.lmdb { try environment.read { txn in try txn.get(state, StateKey.snapshotData) } }
                ?? []
        }
        return snapshot
    }

    /// The index to compact through so that the entries kept up to `index` (counted back from it) are at most
    /// `entries` in number and `bytes` in `Entry.byteSize` together.
    public func compactionPoint(keepingBefore index: LogIndex, entries: Int, bytes: Int) -> LogIndex {
        let state = published
        var through = min(index, state.lastIndex)
        var kept = 0
        var size = 0
        while through > state.start.index && kept < entries {
            let entrySize = state.entries[Int(through - state.start.index - 1)].byteSize
            if size + entrySize > bytes { break }
            size += entrySize
            kept += 1
            through -= 1
        }
        return through
    }

    // MARK: Writes

    /// Writes the first state of an initial member: `Snapshot.bootstrap(confState, data:)` and the hard
    /// state that commits it. The store must be empty.
    public func bootstrap(_ confState: ConfState, data: [UInt8] = [], in txn: WriteTransaction) throws {
        precondition(current(txn).isEmpty, "bootstrapping a Raft log that already holds state")
        try applySnapshot(.bootstrap(confState, data: data), in: txn)
        try setHardState(
            HardState(term: Snapshot.bootstrapTerm, vote: nil, commit: Snapshot.bootstrapIndex), in: txn)
    }

    /// Appends `entries` (consecutive indexes) to the log, replacing every entry from the first one's index on
    /// (a conflicting suffix is truncated, as Raft requires; entries already compacted are skipped), then
    /// records `hardState`, in one write; syncs when `sync` is set (and the environment syncs its commits).
    /// Published at once: no transaction is involved, and none may be staging.
    public func save(entries: [Entry], hardState: HardState?, sync: Bool = true) throws(RaftStorageError) {
        precondition(staged == nil, "saving to the Raft log while a transaction stages writes")
        let toAppend = Array(entries.drop { $0.index <= published.start.index })
        if let first = toAppend.first {
            precondition(
                first.index <= published.lastIndex + 1,
                "gap in log: appending \(first.index) after \(published.lastIndex)")
            for (offset, entry) in toAppend.enumerated() {
                precondition(entry.index == first.index + LogIndex(offset), "appending non-consecutive entry \(entry.index)")
            }
        }
        try wal.append(
            entries: toAppend, hardState: hardState, nextIndex: published.lastIndex + 1,
            currentHardState: published.hardState, sync: sync)
        if !toAppend.isEmpty { try Self.merge(toAppend, into: &published) }
        if let hardState { published.hardState = hardState }
    }

    /// Records `hardState` in LMDB, as of a bootstrap; later hard states go through `save`.
    public func setHardState(_ hardState: HardState, in txn: WriteTransaction) throws {
        precondition(wal.segments.isEmpty, "a hard state for LMDB while the log holds newer ones")
        try stage(txn) { next in
            try txn.put(state, key: StateKey.hardState, value: RaftLogEncoding.encode(hardState))
            next.hardState = hardState
        }
    }

    /// Records the membership in force after applying entries through `appliedIndex`, as the application
    /// persists it in the same transaction as the applied entries.
    public func setConfState(_ confState: ConfState, appliedIndex: LogIndex, in txn: WriteTransaction) throws {
        try stage(txn) { next in
            try txn.put(
                state, key: StateKey.membership,
                value: RaftLogEncoding.encode(confState, appliedIndex: appliedIndex))
            next.confState = confState
            next.appliedIndex = appliedIndex
        }
    }

    /// Installs `snapshot`: drops every entry, and records the snapshot and its membership (applied at its
    /// index). Ignored when older than the current snapshot. The caller replaces the application's state in
    /// the same transaction.
    public func applySnapshot(_ snapshot: Snapshot, in txn: WriteTransaction) throws {
        try stage(txn) { next in
            guard snapshot.index > next.snapshot.index || next.snapshot.isEmpty else { return }
            try txn.empty(log)
            try writeSnapshot(snapshot, in: txn, into: &next)
            // The log's segments go once this commits; from then on LMDB holds the hard state in force.
            if next.hardState.term < snapshot.term {
                next.hardState = HardState(term: snapshot.term, vote: nil, commit: next.hardState.commit)
            }
            next.hardState.commit = max(next.hardState.commit, snapshot.index)
            try txn.put(state, key: StateKey.hardState, value: RaftLogEncoding.encode(next.hardState))
            try txn.put(state, key: StateKey.firstLogSegment, value: RaftLogEncoding.encodeUInt64(wal.nextSequence))
            stagedLogReset = true
            try txn.put(
                state, key: StateKey.membership,
                value: RaftLogEncoding.encode(snapshot.confState, appliedIndex: snapshot.index))
            next.confState = snapshot.confState
            next.appliedIndex = snapshot.index
            next.start = LogPosition(index: snapshot.index, term: snapshot.term)
            try txn.put(state, key: StateKey.logStart, value: RaftLogEncoding.encode(next.start))
            next.entries = []
        }
    }

    /// Records a snapshot of the application's state at `index`, an entry still in the log, so that the
    /// log can be compacted up to it. Throws `compacted` when the current snapshot is not older.
    @discardableResult
    public func createSnapshot(
        at index: LogIndex, confState: ConfState, data: [UInt8], in txn: WriteTransaction
    ) throws -> Snapshot {
        try stage(txn) { next in
            if index <= next.snapshot.index { throw RaftStorageError.compacted }
            precondition(index <= next.lastIndex, "snapshot at \(index) is beyond the last entry \(next.lastIndex)")
            let term = Self.term(of: index, in: next)
            let snapshot = Snapshot(index: index, term: term, confState: confState, data: data)
            try writeSnapshot(snapshot, in: txn, into: &next)
            return snapshot
        }
    }

    /// Drops the entries up to `index`, which a snapshot must cover already. The term of entry `index`
    /// stays known, as Raft asks for it when appending after it. Throws `compacted` when already dropped.
    public func compact(through index: LogIndex, in txn: WriteTransaction) throws {
        try stage(txn) { next in
            if index <= next.start.index { throw RaftStorageError.compacted }
            precondition(index <= next.lastIndex, "compaction at \(index) is beyond the last entry \(next.lastIndex)")
            precondition(index <= next.snapshot.index, "compaction at \(index) beyond the snapshot")
            let term = Self.term(of: index, in: next)
            next.entries.removeFirst(Int(index - next.start.index))
            next.start = LogPosition(index: index, term: term)
            try txn.put(state, key: StateKey.logStart, value: RaftLogEncoding.encode(next.start))
        }
    }

    // MARK: Publishing

    /// The transaction that staged writes has committed: reads now answer from its state. Harmless when
    /// nothing was staged.
    public func committed() {
        if let staged {
            let compacted = staged.start.index > published.start.index
            published = staged
            if stagedLogReset {
                wal.reset()
            } else if compacted {
                wal.removeSegments(coveredThrough: published.start.index)
            }
        }
        staged = nil
        stagingTransaction = nil
        stagedLogReset = false
    }

    /// The transaction that staged writes aborted, or its commit failed: its writes are forgotten. Harmless
    /// when nothing was staged.
    public func rolledBack() {
        staged = nil
        stagingTransaction = nil
        stagedLogReset = false
    }

    /// Runs `body` in a write transaction of the store's environment, then publishes (on commit) or drops
    /// (on error) what it staged.
    @discardableResult
    public func write<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        precondition(staged == nil, "a transaction's Raft log writes were neither committed nor rolled back")
        do {
            let result = try environment.write(body)
            committed()
            return result
        } catch {
            rolledBack()
            throw error
        }
    }

    // MARK: Internals

    /// The state as `txn` sees it.
    private func current(_ txn: WriteTransaction) -> State {
        if staged != nil {
            precondition(
                stagingTransaction === txn,
                "Raft log writes staged by another transaction were neither committed nor rolled back")
            return staged!
        }
        return published
    }

    /// Applies `body` to the staged state; on error the staged state is left as it was, and the caller
    /// must abort the transaction (some of its writes may have happened).
    private func stage<R>(_ txn: WriteTransaction, _ body: (inout State) throws -> R) throws -> R {
        var next = current(txn)
        let result = try body(&next)
        staged = next
        stagingTransaction = txn
        return result
    }

    private func writeSnapshot(_ snapshot: Snapshot, in txn: WriteTransaction, into next: inout State) throws {
        try txn.put(state, key: StateKey.snapshot, value: RaftLogEncoding.encodeMetadata(snapshot))
        try txn.put(state, key: StateKey.snapshotData, value: snapshot.data)
        var metadata = snapshot
        metadata.data = []
        next.snapshot = metadata
    }

    /// The term of `index`, which must be `start` or an entry in `state`.
    private static func term(of index: LogIndex, in state: State) -> Term {
        if index == state.start.index { return state.start.term }
        return state.entries[Int(index - state.start.index - 1)].term
    }

    /// Adds entries read from the log (or saved) to `state`: those at or below the start are compacted away,
    /// the rest replace every entry from the first one's index on.
    private static func merge(_ entries: [Entry], into state: inout State) throws(RaftStorageError) {
        let fresh = entries.drop { $0.index <= state.start.index }
        guard let first = fresh.first else { return }
        guard first.index <= state.lastIndex + 1 else {
            throw .failure("raft log skips from entry \(state.lastIndex) to \(first.index)")
        }
        let keep = Int(first.index - state.start.index - 1)
        if keep < state.entries.count { state.entries.removeSubrange(keep...) }
        state.entries.append(contentsOf: fresh)
    }

    private func load(_ txn: ReadTransaction) throws -> State {
        var loaded = State()
        if let hardState = try record(txn, StateKey.hardState, RaftLogEncoding.decodeHardState) {
            loaded.hardState = hardState
        }
        if let membership = try record(txn, StateKey.membership, RaftLogEncoding.decodeMembership) {
            loaded.confState = membership.confState
            loaded.appliedIndex = membership.appliedIndex
        }
        if let snapshot = try record(txn, StateKey.snapshot, RaftLogEncoding.decodeMetadata) {
            loaded.snapshot = snapshot
        }
        if let start = try record(txn, StateKey.logStart, RaftLogEncoding.decodePosition) {
            loaded.start = start
        }
        // Entries written to LMDB before the write-ahead log existed.
        let lastIndex = try txn.withCursor(log) { cursor in
            guard try cursor.last() else { return loaded.start.index }
            return try cursor.withCurrent { key, _ in try RaftLogEncoding.index(fromKey: key) }
        }
        if lastIndex < loaded.start.index {
            throw RaftStorageError.failure("raft log ends at \(lastIndex), before its start \(loaded.start.index)")
        }
        if lastIndex > loaded.start.index {
            loaded.entries = try Self.readEntries(
                txn, log, from: loaded.start.index + 1, to: lastIndex + 1, maxSize: Int.max)
        }
        return loaded
    }

    /// The `raft_state` record under `key`, decoded, or nil when absent.
    private func record<T>(
        _ txn: Transaction, _ key: [UInt8], _ decode: (UnsafeRawBufferPointer) throws(RaftStorageError) -> T
    ) throws -> T? {
        try txn.withValue(state, key) { bytes throws(RaftStorageError) in
            try bytes.map { bytes throws(RaftStorageError) in try decode(bytes) }
        }
    }

    private static func readEntries(
        _ txn: Transaction, _ log: Database, from lo: LogIndex, to hi: LogIndex, maxSize: Int
    ) throws(RaftStorageError) -> [Entry] {
        try lmdb {
            try txn.withCursor(log) { cursor in
                var out: [Entry] = []
                var size = 0
                var expected = lo
                var found = try cursor.seek(atLeast: RaftLogEncoding.key(lo))
                while found && expected < hi {
                    let entry = try cursor.withCurrent { key, value throws(RaftStorageError) in
                        let index = try RaftLogEncoding.index(fromKey: key)
                        guard index == expected else { throw .failure("raft log is missing entry \(expected)") }
                        return try RaftLogEncoding.decodeEntry(index: index, value)
                    }
                    size += entry.byteSize
                    if !out.isEmpty && size > maxSize { return out }
                    out.append(entry)
                    expected += 1
                    found = try cursor.next()
                }
                guard expected == hi else { throw RaftStorageError.failure("raft log is missing entry \(expected)") }
                return out
            }
        }
    }

    /// Reports LMDB's errors as storage failures, which Raft treats as fatal.
    private static func lmdb<R>(_ body: () throws -> R) throws(RaftStorageError) -> R {
        do {
            return try body()
        } catch let error as RaftStorageError {
            throw error
        } catch {
            throw .failure("LMDB: \(error)")
        }
    }
}
