import LMDB
import Raft
import RaftLog
import Testing

@Suite("Raft log store: writes, persistence and transactions")
struct RaftLogStoreWriteTests {
    @Test("a conflicting suffix is truncated, from inside the log and at its end")
    func truncateConflicts() throws {
        let scratch = try ScratchDirectory()
        let store = try RaftLogStore(environment: try openEnvironment(scratch.path))
        try store.save(entries: entries([1, 1, 2, 2, 2, 2]), hardState: nil)
        try store.save(entries: entries([3], from: 3), hardState: nil)
        #expect(try store.lastIndex() == 3, "entries after the replaced one are gone")
        #expect(try store.allEntries() == entries([1, 1]) + entries([3], from: 3))
        #expect(throws: RaftStorageError.unavailable) { try store.term(of: 4) }
        try store.save(entries: entries([3, 3, 3], from: 4), hardState: nil)
        #expect(try store.allEntries().map(\.term) == [1, 1, 3, 3, 3, 3])
        try store.save(entries: entries([4, 4, 4, 4, 4, 4, 4, 4], from: 1), hardState: nil)
        #expect(try store.allEntries() == entries([4, 4, 4, 4, 4, 4, 4, 4]))
    }

    @Test("a snapshot and a compaction staged in one transaction see each other and the saved log")
    func stagedWritesCompose() throws {
        let scratch = try ScratchDirectory()
        let store = try RaftLogStore(environment: try openEnvironment(scratch.path))
        try store.save(entries: entries([1, 1, 1, 1]), hardState: nil)
        try store.save(entries: entries([2, 2], from: 3), hardState: HardState(term: 2, vote: 1, commit: 4))
        try store.write { txn in
            try store.createSnapshot(at: 3, confState: ConfState(voters: [1]), data: [7], in: txn)
            try store.compact(through: 2, in: txn)
        }
        #expect(try store.firstIndex() == 3)
        #expect(try store.lastIndex() == 4)
        #expect(try store.term(of: 2) == 1)
        #expect(try store.allEntries() == entries([2, 2], from: 3))
        #expect(try store.snapshot() == Snapshot(index: 3, term: 2, confState: ConfState(voters: [1]), data: [7]))
        #expect(store.hardState == HardState(term: 2, vote: 1, commit: 4))
    }

    @Test("compaction keeps the term of its point and refuses what is already gone or not yet snapshotted")
    func compaction() throws {
        let scratch = try ScratchDirectory()
        let store = try RaftLogStore(environment: try openEnvironment(scratch.path))
        try store.save(entries: entries([1, 2, 3, 4, 5]), hardState: nil)
        try store.write { txn in try store.createSnapshot(at: 4, confState: ConfState(voters: [1]), data: [], in: txn) }
        #expect(throws: RaftStorageError.compacted) {
            try store.write { txn in try store.createSnapshot(at: 4, confState: ConfState(), data: [], in: txn) }
        }
        try store.write { txn in try store.compact(through: 2, in: txn) }
        #expect(try store.firstIndex() == 3)
        #expect(try store.term(of: 2) == 2)
        #expect(throws: RaftStorageError.compacted) {
            try store.write { txn in try store.compact(through: 2, in: txn) }
        }
        try store.write { txn in try store.compact(through: 4, in: txn) }
        #expect(try store.firstIndex() == 5)
        #expect(try store.lastIndex() == 5)
        #expect(try store.term(of: 4) == 4)
        #expect(throws: RaftStorageError.compacted) { try store.term(of: 3) }
        #expect(try store.allEntries() == entries([5], from: 5))
        let snapshot = try store.snapshot()
        #expect(snapshot.index == 4 && snapshot.term == 4)
    }

    @Test("installing a snapshot drops the whole log and records its membership; an older one is ignored")
    func applySnapshot() throws {
        let scratch = try ScratchDirectory()
        let store = try RaftLogStore(environment: try openEnvironment(scratch.path))
        try store.save(entries: entries([1, 1, 2, 2]), hardState: nil)
        let snapshot = Snapshot(index: 10, term: 3, confState: ConfState(voters: [1, 2], learners: [3]), data: [1, 2])
        try store.write { txn in try store.applySnapshot(snapshot, in: txn) }
        #expect(try store.firstIndex() == 11)
        #expect(try store.lastIndex() == 10)
        #expect(try store.term(of: 10) == 3)
        #expect(throws: RaftStorageError.compacted) { try store.term(of: 9) }
        #expect(throws: RaftStorageError.compacted) { try store.entries(from: 4, to: 5, maxSize: .max) }
        #expect(try store.snapshot() == snapshot)
        #expect(store.confState == snapshot.confState)
        #expect(store.appliedIndex == 10)
        #expect(try store.initialState().1 == snapshot.confState)

        try store.write { txn in try store.applySnapshot(Snapshot(index: 5, term: 2), in: txn) }
        #expect(try store.snapshot() == snapshot, "an older snapshot changes nothing")
        #expect(try store.firstIndex() == 11)

        try store.save(entries: entries([3, 4], from: 11), hardState: nil)
        #expect(try store.allEntries() == entries([3, 4], from: 11))
        #expect(throws: RaftStorageError.compacted) { try store.entries(from: 10, to: 12, maxSize: .max) }
    }

    @Test("reopening gives the same entries, hard state, membership, snapshot and bounds")
    func reopen() throws {
        let scratch = try ScratchDirectory()
        let voters = ConfState(voters: [1, 2, 3])
        let changed = ConfState(voters: [1, 2, 3], learners: [4])
        do {
            let env = try openEnvironment(scratch.path)
            let store = try RaftLogStore(environment: env, bootstrap: voters, data: [9, 9])
            try store.save(entries: entries([2, 2, 2, 3, 3], from: 2), hardState: HardState(term: 3, vote: 2, commit: 5))
            try store.write { txn in
                try store.setConfState(changed, appliedIndex: 5, in: txn)
                try store.createSnapshot(at: 4, confState: voters, data: [4], in: txn)
                try store.compact(through: 3, in: txn)
            }
            env.close()
        }
        let env = try openEnvironment(scratch.path)
        defer { env.close() }
        let store = try RaftLogStore(environment: env, bootstrap: ConfState(voters: [7]))
        #expect(!store.isEmpty)
        #expect(try store.firstIndex() == 4)
        #expect(try store.lastIndex() == 6)
        #expect(try store.term(of: 3) == 2)
        #expect(try store.allEntries() == entries([2, 3, 3], from: 4))
        let (hardState, confState) = try store.initialState()
        #expect(hardState == HardState(term: 3, vote: 2, commit: 5))
        #expect(confState == changed, "the stored membership wins over the bootstrap argument")
        #expect(store.appliedIndex == 5)
        #expect(try store.snapshot() == Snapshot(index: 4, term: 2, confState: voters, data: [4]))
    }

    @Test("a fresh initial member starts from the bootstrap snapshot, persisted")
    func bootstrap() throws {
        let scratch = try ScratchDirectory()
        let voters = ConfState(voters: [1, 2, 3])
        let expected = MemoryStorage(bootstrap: voters, data: [5])
        do {
            let env = try openEnvironment(scratch.path)
            let store = try RaftLogStore(environment: env, bootstrap: voters, data: [5])
            try expectSameState(store, expected)
            env.close()
        }
        let env = try openEnvironment(scratch.path)
        defer { env.close() }
        try expectSameState(try RaftLogStore(environment: env), expected)
    }

    private func expectSameState(_ store: RaftLogStore, _ memory: MemoryStorage) throws {
        #expect(try store.initialState() == memory.initialState())
        #expect(try store.firstIndex() == memory.firstIndex())
        #expect(try store.lastIndex() == memory.lastIndex())
        #expect(try store.term(of: 1) == memory.term(of: 1))
        #expect(try store.snapshot() == memory.snapshot())
    }

    @Test("an aborted transaction leaves both the disk and the cached state unchanged")
    func abortedTransaction() throws {
        let scratch = try ScratchDirectory()
        var env = try openEnvironment(scratch.path)
        var store = try RaftLogStore(environment: env)
        try store.save(entries: entries([1, 1, 1]), hardState: HardState(term: 1, vote: 1, commit: 2))
        let before = try store.allEntries()

        // Through the store's own write.
        #expect(throws: Abort.self) {
            try store.write { txn in
                try store.createSnapshot(at: 2, confState: ConfState(voters: [1]), data: [], in: txn)
                try store.compact(through: 1, in: txn)
                throw Abort()
            }
        }
        // Through a transaction of the member's, with other writes in it.
        let other = try env.openDatabase("other", flags: .create)
        #expect(throws: Abort.self) {
            try env.write { txn in
                try txn.put(other, key: [1], value: [1])
                try store.createSnapshot(at: 2, confState: ConfState(voters: [1]), data: [], in: txn)
                try store.compact(through: 2, in: txn)
                try store.setConfState(ConfState(voters: [1, 2]), appliedIndex: 2, in: txn)
                #expect(try store.lastIndex() == 3, "reads see the committed state while a write is staged")
                throw Abort()
            }
        }
        store.rolledBack()

        func expectUnchanged(_ store: RaftLogStore) throws {
            #expect(try store.firstIndex() == 1)
            #expect(try store.lastIndex() == 3)
            #expect(try store.allEntries() == before)
            #expect(store.hardState == HardState(term: 1, vote: 1, commit: 2))
            #expect(store.confState == ConfState())
            #expect(try store.snapshot() == Snapshot())
        }
        try expectUnchanged(store)
        #expect(try env.read { txn in try txn.get(other, [1]) } == nil)
        env.close()
        env = try openEnvironment(scratch.path)
        defer { env.close() }
        store = try RaftLogStore(environment: env)
        try expectUnchanged(store)
    }

    @Test("staged writes are published only by committed()")
    func publishOnCommit() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        defer { env.close() }
        let store = try RaftLogStore(environment: env)
        try store.save(entries: entries([1, 1]), hardState: HardState(term: 1, vote: nil, commit: 1))
        try env.write { txn in
            try store.createSnapshot(at: 1, confState: ConfState(voters: [1]), data: [], in: txn)
            try store.compact(through: 1, in: txn)
            try store.setConfState(ConfState(voters: [1]), appliedIndex: 1, in: txn)
        }
        #expect(try store.firstIndex() == 1, "the cache waits for committed()")
        #expect(store.appliedIndex == 0)
        store.committed()
        #expect(try store.firstIndex() == 2)
        #expect(try store.allEntries() == entries([1], from: 2))
        #expect(store.appliedIndex == 1)
        #expect(try store.snapshot().index == 1)
        store.committed()
        #expect(try store.firstIndex() == 2, "a second report changes nothing")
    }
}
