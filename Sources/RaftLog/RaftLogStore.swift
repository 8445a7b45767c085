import LMDB
import Raft

/// A member's Raft log and Raft state, kept in LMDB beside the application's data so that one transaction
/// can write both: applying committed entries and recording the applied index commit together.
///
/// Two named databases: `raft_log` (entries by index) and `raft_state` (hard state, membership with the
/// applied index, snapshot metadata and payload, and the log start: the index and term of the entry before
/// the first available one).
///
/// Reads (`RaftStorage`) see only committed transactions, and the first and last index come from an
/// in-memory copy of the committed state. Writes run inside a caller's `WriteTransaction` and are staged:
/// the in-memory state moves only when the caller reports the commit with `committed()`, or drops the staged
/// changes with `rolledBack()` when the transaction aborts or its commit fails. So the cache is never ahead of
/// the disk. `write(_:)` does that bookkeeping for callers that need no transaction of their own.
///
/// Guarantees, given that the caller commits what it stages: after a crash and reopen the store answers
/// exactly as it did after the last committed write. Every change of one transaction is atomic with the
/// caller's own writes in it.
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
        var lastIndex: LogIndex = 0

        var isEmpty: Bool { hardState == HardState() && snapshot.isEmpty && lastIndex == 0 }
    }

    public let environment: Environment
    private let log: Database
    private let state: Database

    /// The state as of the last commit reported by `committed()`.
    private var published: State
    /// The state as of the transaction that is staging writes, if any.
    private var staged: State?
    /// Held weakly so that a transaction that ended without `committed()` or `rolledBack()` is detected.
    private weak var stagingTransaction: WriteTransaction?

    /// Opens the Raft databases in `environment` (creating them if needed) and loads the stored state. An
    /// environment without Raft state gives an empty store: a member joining a running group, which learns
    /// everything from the leader's snapshot.
    public init(environment: Environment) throws {
        self.environment = environment
        log = try environment.openDatabase(Self.logDatabaseName, flags: .create)
        state = try environment.openDatabase(Self.stateDatabaseName, flags: .create)
        published = State()
        published = try environment.read { txn in try self.load(txn) }
    }

    /// Opens the store of an initial member of a new group: a store without Raft state starts from
    /// `Snapshot.bootstrap(confState, data:)` (term 1, committed through index 1), written before this
    /// returns. A store that has state (a restart) is opened as it is; `confState` is then ignored.
    public convenience init(environment: Environment, bootstrap confState: ConfState, data: [UInt8] = []) throws {
        try self.init(environment: environment)
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
        return try reading { txn throws(RaftStorageError) in
            try Self.readEntries(txn, log, from: lo, to: hi, maxSize: maxSize)
        }
    }

    public func term(of index: LogIndex) throws(RaftStorageError) -> Term {
        let bounds = published
        if index < bounds.start.index { throw .compacted }
        if index > bounds.lastIndex { throw .unavailable }
        if index == bounds.start.index { return bounds.start.term }
        return try reading { txn throws(RaftStorageError) in try Self.readTerm(txn, log, of: index) }
    }

    public func firstIndex() throws(RaftStorageError) -> LogIndex { published.start.index + 1 }

    public func lastIndex() throws(RaftStorageError) -> LogIndex { published.lastIndex }

    public func snapshot() throws(RaftStorageError) -> Snapshot {
        var snapshot = published.snapshot
        if !snapshot.isEmpty {
            snapshot.data = try reading { txn throws(RaftStorageError) in
                try Self.lmdb { try txn.get(state, StateKey.snapshotData) } ?? []
            }
        }
        return snapshot
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

    /// Appends `entries` (consecutive indexes), replacing every stored entry from the first one's index on:
    /// a conflicting suffix is truncated, as Raft requires. Entries already compacted are skipped.
    public func append(_ entries: [Entry], in txn: WriteTransaction) throws {
        guard let first = entries.first else { return }
        let base = current(txn)
        precondition(
            first.index <= base.lastIndex + 1, "gap in log: appending \(first.index) after \(base.lastIndex)")
        let toAppend = entries.drop { $0.index <= base.start.index }
        guard let from = toAppend.first?.index else { return }
        try stage(txn) { next in
            // Truncation is rare (a follower overwriting an uncommitted tail), so deleting key by key is fine.
            var index = from
            while index <= next.lastIndex {
                try txn.delete(log, key: RaftLogEncoding.key(index))
                index += 1
            }
            var expected = from
            for entry in toAppend {
                precondition(entry.index == expected, "appending non-consecutive entry \(entry.index)")
                let stored = try txn.put(
                    log, key: RaftLogEncoding.key(entry.index), value: RaftLogEncoding.encode(entry), flags: .append)
                guard stored else { throw RaftStorageError.failure("raft log entry \(entry.index) out of order") }
                expected += 1
            }
            next.lastIndex = expected - 1
        }
    }

    public func setHardState(_ hardState: HardState, in txn: WriteTransaction) throws {
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
            try txn.put(
                state, key: StateKey.membership,
                value: RaftLogEncoding.encode(snapshot.confState, appliedIndex: snapshot.index))
            next.confState = snapshot.confState
            next.appliedIndex = snapshot.index
            next.start = LogPosition(index: snapshot.index, term: snapshot.term)
            try txn.put(state, key: StateKey.logStart, value: RaftLogEncoding.encode(next.start))
            next.lastIndex = snapshot.index
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
            let term = try termInTransaction(txn, of: index, state: next)
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
            let term = try termInTransaction(txn, of: index, state: next)
            var dropped = next.start.index + 1
            while dropped <= index {
                try txn.delete(log, key: RaftLogEncoding.key(dropped))
                dropped += 1
            }
            next.start = LogPosition(index: index, term: term)
            try txn.put(state, key: StateKey.logStart, value: RaftLogEncoding.encode(next.start))
        }
    }

    // MARK: Publishing

    /// The transaction that staged writes has committed: reads now answer from its state. Harmless when
    /// nothing was staged.
    public func committed() {
        if let staged { published = staged }
        staged = nil
        stagingTransaction = nil
    }

    /// The transaction that staged writes aborted, or its commit failed: its writes are forgotten. Harmless
    /// when nothing was staged.
    public func rolledBack() {
        staged = nil
        stagingTransaction = nil
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

    private func termInTransaction(_ txn: WriteTransaction, of index: LogIndex, state next: State) throws -> Term {
        if index == next.start.index { return next.start.term }
        return try Self.readTerm(txn, log, of: index)
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
        loaded.lastIndex = try txn.withCursor(log) { cursor in
            guard try cursor.last() else { return loaded.start.index }
            return try cursor.withCurrent { key, _ in try RaftLogEncoding.index(fromKey: key) }
        }
        if loaded.lastIndex < loaded.start.index {
            throw RaftStorageError.failure(
                "raft log ends at \(loaded.lastIndex), before its start \(loaded.start.index)")
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

    private static func readTerm(_ txn: Transaction, _ log: Database, of index: LogIndex) throws(RaftStorageError)
        -> Term
    {
        let term = try lmdb {
            try txn.withValue(log, RaftLogEncoding.key(index)) { bytes throws(RaftStorageError) in
                try bytes.map { bytes throws(RaftStorageError) in try RaftLogEncoding.decodeTerm(bytes) }
            }
        }
        guard let term else { throw .failure("raft log is missing entry \(index)") }
        return term
    }

    /// Runs `body` in a read transaction of the committed state.
    private func reading<R>(_ body: (ReadTransaction) throws(RaftStorageError) -> R) throws(RaftStorageError) -> R {
        try Self.lmdb { try environment.read { txn in try body(txn) } }
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
