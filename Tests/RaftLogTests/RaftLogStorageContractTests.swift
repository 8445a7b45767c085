import LMDB
import Raft
import RaftLog
import Testing

/// The `RaftStorage` contract, with the expectations `MemoryStorage` meets.
@Suite("Raft log store: the storage contract")
struct RaftLogStorageContractTests {
    @Test("an empty store answers for index 0 only")
    func emptyStore() throws {
        let scratch = try ScratchDirectory()
        let store = try RaftLogStore(environment: try openEnvironment(scratch.path))
        #expect(store.isEmpty)
        #expect(try store.firstIndex() == 1)
        #expect(try store.lastIndex() == 0)
        #expect(try store.term(of: 0) == 0)
        #expect(throws: RaftStorageError.unavailable) { try store.term(of: 1) }
        #expect(try store.entries(from: 1, to: 1, maxSize: .max).isEmpty)
        #expect(throws: RaftStorageError.compacted) { try store.entries(from: 0, to: 1, maxSize: .max) }
        #expect(throws: RaftStorageError.unavailable) { try store.entries(from: 1, to: 2, maxSize: .max) }
        let (hardState, confState) = try store.initialState()
        #expect(hardState == HardState())
        #expect(confState == ConfState())
        #expect(try store.snapshot() == Snapshot())
    }

    @Test("answers within bounds, and names compacted and unavailable indexes")
    func bounds() throws {
        let scratch = try ScratchDirectory()
        let store = try RaftLogStore(environment: try openEnvironment(scratch.path))
        try store.save(entries: entries([1, 1, 2, 3, 3]), hardState: nil)
        #expect(try store.firstIndex() == 1)
        #expect(try store.lastIndex() == 5)
        #expect(try store.term(of: 0) == 0)
        #expect(try store.term(of: 3) == 2)
        #expect(throws: RaftStorageError.unavailable) { try store.term(of: 6) }
        try store.write { txn in
            try store.createSnapshot(at: 3, confState: ConfState(voters: [1]), data: [], in: txn)
            try store.compact(through: 3, in: txn)
        }
        #expect(try store.firstIndex() == 4)
        #expect(try store.term(of: 3) == 2, "the snapshot's term stays known")
        #expect(throws: RaftStorageError.compacted) { try store.term(of: 2) }
        #expect(throws: RaftStorageError.compacted) { try store.entries(from: 3, to: 5, maxSize: .max) }
        #expect(throws: RaftStorageError.unavailable) { try store.entries(from: 4, to: 7, maxSize: .max) }
        #expect(try store.entries(from: 4, to: 6, maxSize: .max).map(\.term) == [3, 3])
        #expect(try store.entries(from: 4, to: 6, maxSize: 1).count == 1, "always at least one entry")
    }

    @Test("append replaces conflicting entries and ignores compacted ones")
    func appendReplacesAndSkipsCompacted() throws {
        let scratch = try ScratchDirectory()
        let store = try RaftLogStore(environment: try openEnvironment(scratch.path))
        try store.save(entries: entries([1, 1, 1]), hardState: nil)
        try store.save(entries: entries([2, 2], from: 2), hardState: nil)
        #expect(try store.entries(from: 1, to: 4, maxSize: .max).map(\.term) == [1, 2, 2])
        try store.write { txn in
            try store.createSnapshot(at: 2, confState: ConfState(), data: [], in: txn)
            try store.compact(through: 2, in: txn)
        }
        try store.save(entries: entries([2, 2, 4], from: 2), hardState: nil)
        #expect(try store.entries(from: 3, to: 5, maxSize: .max).map(\.term) == [2, 4])
    }

    @Test("entries come back whole, in order, and within the size budget")
    func entriesRoundTrip() throws {
        let scratch = try ScratchDirectory()
        let store = try RaftLogStore(environment: try openEnvironment(scratch.path))
        var written = entries([1, 1, 2, 2, 2])
        written[2].kind = .configChange
        written[2].data = ConfigChange(.addLearner, 4).encoded
        written[3].data = []
        try store.save(entries: written, hardState: nil)
        #expect(try store.allEntries() == written)
        let budget = written[0].byteSize + written[1].byteSize
        #expect(try store.entries(from: 1, to: 6, maxSize: budget) == Array(written[0..<2]))
        #expect(try store.entries(from: 2, to: 4, maxSize: .max) == Array(written[1..<3]))
        #expect(try store.entries(from: 4, to: 4, maxSize: .max).isEmpty)
    }
}
