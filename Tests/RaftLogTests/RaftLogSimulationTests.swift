import LMDB
import Raft
import RaftLog
import Testing

/// A single member driven the way the store member drives it: each Ready's log writes in one transaction,
/// and the applied entries written with the applied index in another, both in the same environment.
@Suite("Raft log store: driving a RaftNode")
struct RaftLogSimulationTests {
    /// The application: payloads by index, in a database beside the Raft log.
    struct Member {
        let environment: Environment
        let store: RaftLogStore
        let applied: Database
        var node: RaftNode<RaftLogStore>
        /// Messages the member would have sent; there is no one to receive them.
        var sent: [Message] = []

        init(path: String, voters: [NodeID]) throws {
            environment = try openEnvironment(path)
            store = try RaftLogStore(environment: environment, bootstrap: ConfState(voters: voters))
            applied = try environment.openDatabase("applied", flags: .create)
            var configuration = RaftConfiguration(id: 1)
            configuration.applied = store.appliedIndex
            node = RaftNode(configuration: configuration, storage: store)
        }

        /// Handles readies until there are none; returns how many.
        @discardableResult
        mutating func drain() throws -> Int {
            var handled = 0
            while node.hasReady {
                handled += 1
                precondition(handled < 100, "a single member should settle within a few readies")
                let ready = node.ready()
                sent += ready.messages + ready.persistedMessages
                if let snapshot = ready.snapshot {
                    try store.write { txn in try store.applySnapshot(snapshot, in: txn) }
                }
                try store.save(entries: ready.entries, hardState: ready.hardState, sync: ready.mustSync)
                node.persisted(through: ready.number)
                try apply(ready.committedEntries)
            }
            return handled
        }

        private mutating func apply(_ entries: [Entry]) throws {
            guard let last = entries.last else { return }
            var confState = store.confState
            try store.write { txn in
                for entry in entries {
                    #expect(entry.index > store.appliedIndex, "entries are applied once")
                    switch entry.kind {
                    case .normal:
                        if !entry.data.isEmpty { try txn.put(applied, key: indexKey(entry.index), value: entry.data) }
                    case .configChange:
                        if let change = ConfigChange(encoded: entry.data) { confState = node.applyConfigChange(change) }
                    }
                }
                try store.setConfState(confState, appliedIndex: last.index, in: txn)
            }
            node.applied(through: last.index)
        }

        func appliedPayloads() throws -> [String] {
            try environment.read { txn in
                try txn.withCursor(applied) { cursor in
                    var out: [String] = []
                    var found = try cursor.first()
                    while found {
                        out.append(String(decoding: try cursor.value(), as: UTF8.self))
                        found = try cursor.next()
                    }
                    return out
                }
            }
        }

        func indexKey(_ index: LogIndex) -> [UInt8] {
            (0..<8).reversed().map { UInt8(truncatingIfNeeded: index >> (8 * UInt64($0))) }
        }

        mutating func propose(_ payloads: [String]) throws {
            for payload in payloads { try node.propose(Array(payload.utf8)) }
        }
    }

    @Test("propose, persist and apply through a few readies, compact, then restart where it stopped")
    func proposePersistApplyReopen() throws {
        let scratch = try ScratchDirectory()
        var lastIndex: LogIndex = 0
        var hardState = HardState()
        do {
            var member = try Member(path: scratch.path, voters: [1])
            member.node.campaign()
            try member.drain()
            #expect(member.node.softState.role == .leader)
            #expect(member.sent.isEmpty, "a lone member has no one to write to")
            let term = member.node.hardState.term

            try member.propose(["a", "b"])
            try member.drain()
            try member.propose(["c"])
            try member.drain()
            #expect(try member.appliedPayloads() == ["a", "b", "c"])
            lastIndex = try member.store.lastIndex()
            #expect(lastIndex == 5, "bootstrap, the leader's empty entry, then a, b, c")
            #expect(member.node.hardState.commit == lastIndex)
            #expect(member.store.appliedIndex == lastIndex)
            #expect(try member.store.term(of: lastIndex) == term)

            let status = member.node.status
            try member.store.write { txn in
                try member.store.createSnapshot(
                    at: status.applied, confState: member.node.confState, data: [], in: txn)
                try member.store.compact(through: status.applied - 1, in: txn)
            }
            #expect(try member.store.firstIndex() == lastIndex)
            try member.propose(["d"])
            try member.drain()
            #expect(try member.appliedPayloads() == ["a", "b", "c", "d"])
            lastIndex += 1
            hardState = member.node.hardState
            #expect(member.store.hardState == hardState)
            member.environment.close()
        }

        var member = try Member(path: scratch.path, voters: [1])
        defer { member.environment.close() }
        #expect(try member.store.lastIndex() == lastIndex)
        #expect(try member.store.firstIndex() == lastIndex - 1)
        #expect(member.store.hardState == hardState)
        #expect(member.store.appliedIndex == lastIndex)
        #expect(member.node.status.applied == lastIndex)
        try member.drain()
        #expect(member.node.status.applied == lastIndex, "nothing is applied again")
        #expect(try member.appliedPayloads() == ["a", "b", "c", "d"])

        member.node.campaign()
        try member.drain()
        #expect(member.node.softState.role == .leader)
        #expect(member.node.hardState.term > hardState.term)
        try member.propose(["e"])
        try member.drain()
        #expect(try member.appliedPayloads() == ["a", "b", "c", "d", "e"])
        #expect(try member.store.lastIndex() == lastIndex + 2, "a new empty entry for the new term, then e")
    }

    @Test("a membership change is applied with its index and survives a restart")
    func membershipChangeSurvivesRestart() throws {
        let scratch = try ScratchDirectory()
        do {
            var member = try Member(path: scratch.path, voters: [1])
            member.node.campaign()
            try member.drain()
            try member.node.proposeConfigChange(ConfigChange(.addLearner, 2))
            try member.drain()
            #expect(member.node.confState == ConfState(voters: [1], learners: [2]))
            #expect(member.store.confState == ConfState(voters: [1], learners: [2]))
            member.environment.close()
        }
        let member = try Member(path: scratch.path, voters: [1])
        defer { member.environment.close() }
        #expect(member.node.confState == ConfState(voters: [1], learners: [2]))
        #expect(member.store.appliedIndex == (try member.store.lastIndex()))
    }
}
