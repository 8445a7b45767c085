import Raft

/// A `RaftNode` with in-memory storage and a trivial state machine (the list of applied entries), driven
/// synchronously: each Ready is written, acknowledged and applied at once.
public struct TestMember {
    public let id: NodeID
    public var node: RaftNode<MemoryStorage>
    public let storage: MemoryStorage
    public private(set) var configuration: RaftConfiguration
    /// Every entry applied, in order, since the last restart (or snapshot install).
    public private(set) var applied: [Entry] = []
    public private(set) var appliedIndex: LogIndex
    public private(set) var readStates: [ReadState] = []

    /// A member of a new group whose membership is `confState`.
    public init(id: NodeID, confState: ConfState, configure: (inout RaftConfiguration) -> Void = { _ in }) {
        var configuration = RaftConfiguration(id: id)
        configure(&configuration)
        let storage = MemoryStorage(voters: confState.voters, learners: confState.learners)
        self.init(configuration: configuration, storage: storage)
    }

    /// A member over existing storage, as after a restart.
    public init(configuration: RaftConfiguration, storage: MemoryStorage) {
        self.id = configuration.id
        self.storage = storage
        self.configuration = configuration
        self.appliedIndex = storage.currentSnapshot.index
        var adjusted = configuration
        adjusted.applied = storage.currentSnapshot.index
        self.node = RaftNode(configuration: adjusted, storage: storage)
    }

    /// A fresh node over the same storage, losing everything not persisted.
    public mutating func restart() {
        self = TestMember(configuration: configuration, storage: storage)
    }

    /// Writes, acknowledges and applies one Ready. Returns it and every message it releases, in order.
    @discardableResult
    public mutating func handleReady() -> (ready: Ready, messages: [Message]) {
        let ready = node.ready()
        write(ready)
        node.persisted(through: ready.number)
        apply(ready)
        return (ready, ready.messages + ready.persistedMessages)
    }

    /// Writes what `ready` asks to persist.
    public func write(_ ready: Ready) {
        if let snapshot = ready.snapshot { storage.applySnapshot(snapshot) }
        storage.append(ready.entries)
        if let hardState = ready.hardState { storage.setHardState(hardState) }
    }

    /// Applies the snapshot and committed entries of `ready`, and records its read states.
    public mutating func apply(_ ready: Ready) {
        if let snapshot = ready.snapshot {
            applied = []
            appliedIndex = snapshot.index
        }
        for entry in ready.committedEntries {
            precondition(entry.index == appliedIndex + 1, "applying \(entry.index) after \(appliedIndex)")
            if entry.kind == .configChange, let change = ConfigChange(encoded: entry.data) {
                storage.setConfState(node.applyConfigChange(change))
            }
            applied.append(entry)
            appliedIndex = entry.index
        }
        node.applied(through: appliedIndex)
        readStates += ready.readStates
    }

    /// Takes a snapshot at the applied index and drops the log up to `index` (at most the applied index).
    public mutating func compact(through index: LogIndex) {
        let snapshotIndex = appliedIndex
        guard snapshotIndex > storage.currentSnapshot.index else { return }
        try! storage.createSnapshot(at: snapshotIndex, confState: node.confState, data: [])
        try? storage.compact(through: min(index, snapshotIndex))
    }

    /// The applied payloads of normal entries, as strings.
    public var appliedData: [String] {
        applied.filter { $0.kind == .normal && !$0.data.isEmpty }.map { String(decoding: $0.data, as: UTF8.self) }
    }

    public mutating func takeReadStates() -> [ReadState] {
        defer { readStates = [] }
        return readStates
    }
}

extension TestMember {
    /// A member over `storage` with the default configuration, adjusted by `configure`.
    public init(id: NodeID, storage: MemoryStorage, configure: (inout RaftConfiguration) -> Void = { _ in }) {
        var configuration = RaftConfiguration(id: id)
        configure(&configuration)
        self.init(configuration: configuration, storage: storage)
    }
}
