import Raft
import RaftTestKit
import Testing

@testable import Raft

@Suite("Log and storage")
struct LogTests {
    private func entries(_ terms: [Term], from first: LogIndex = 1) -> [Entry] {
        terms.enumerated().map { Entry(term: $1, index: first + LogIndex($0)) }
    }

    @Test("memory storage answers within bounds, and names compacted and unavailable indexes")
    func memoryStorageBounds() throws {
        let storage = MemoryStorage()
        storage.append(entries([1, 1, 2, 3, 3]))
        #expect(try storage.firstIndex() == 1)
        #expect(try storage.lastIndex() == 5)
        #expect(try storage.term(of: 0) == 0)
        #expect(try storage.term(of: 3) == 2)
        #expect(throws: RaftStorageError.unavailable) { try storage.term(of: 6) }
        try storage.createSnapshot(at: 3, confState: ConfState(voters: [1]), data: [])
        try storage.compact(through: 3)
        #expect(try storage.firstIndex() == 4)
        #expect(try storage.term(of: 3) == 2, "the snapshot's term stays known")
        #expect(throws: RaftStorageError.compacted) { try storage.term(of: 2) }
        #expect(throws: RaftStorageError.compacted) { try storage.entries(from: 3, to: 5, maxSize: .max) }
        #expect(throws: RaftStorageError.unavailable) { try storage.entries(from: 4, to: 7, maxSize: .max) }
        #expect(try storage.entries(from: 4, to: 6, maxSize: .max).map(\.term) == [3, 3])
        #expect(try storage.entries(from: 4, to: 6, maxSize: 1).count == 1, "always at least one entry")
    }

    @Test("memory storage append replaces conflicting entries and ignores compacted ones")
    func memoryStorageAppend() throws {
        let storage = MemoryStorage()
        storage.append(entries([1, 1, 1]))
        storage.append(entries([2, 2], from: 2))
        #expect(try storage.entries(from: 1, to: 4, maxSize: .max).map(\.term) == [1, 2, 2])
        try storage.createSnapshot(at: 2, confState: ConfState(), data: [])
        try storage.compact(through: 2)
        storage.append(entries([2, 2, 4], from: 2))
        #expect(try storage.entries(from: 3, to: 5, maxSize: .max).map(\.term) == [2, 4])
    }

    @Test("the unstable tail hands entries out once, and forgets them when persisted with the same term")
    func unstableLog() {
        var unstable = UnstableLog(offset: 5)
        unstable.truncateAndAppend(entries([1, 1, 1], from: 5))
        #expect(unstable.nextEntries.map(\.index) == [5, 6, 7])
        unstable.acceptInProgress()
        #expect(unstable.nextEntries.isEmpty)
        // A new leader replaces 6 and 7 before they are persisted: they must be handed out again.
        unstable.truncateAndAppend(entries([2, 2], from: 6))
        #expect(unstable.nextEntries.map(\.index) == [6, 7])
        let replaced = unstable.stableTo(index: 7, term: 1)
        #expect(!replaced, "the persisted entry was replaced")
        let stable = unstable.stableTo(index: 5, term: 1)
        #expect(stable)
        #expect(unstable.offset == 6)
        #expect(unstable.term(of: 7) == 2)
    }

    @Test("findConflictByTerm skips back past entries of higher terms")
    func findConflictByTerm() {
        let storage = MemoryStorage()
        storage.append(entries([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]))
        let log = RaftLog(storage: storage, maxApplyingSize: .max)
        #expect(log.findConflictByTerm(index: 10, term: 6) == (10, 6))
        #expect(log.findConflictByTerm(index: 10, term: 5) == (7, 5))
        #expect(log.findConflictByTerm(index: 10, term: 3) == (3, 1))
        #expect(log.findConflictByTerm(index: 10, term: 0) == (0, 0))
    }

    @Test("the in-flight window frees acknowledged appends and bounds the rest by count and bytes")
    func inflights() {
        var window = Inflights(capacity: 3, maxBytes: 100)
        window.add(index: 2, bytes: 10)
        window.add(index: 4, bytes: 10)
        #expect(!window.isFull)
        window.add(index: 7, bytes: 10)
        #expect(window.isFull)
        window.free(through: 4)
        #expect(window.count == 1)
        #expect(window.bytes == 10)
        window.add(index: 9, bytes: 95)
        #expect(window.isFull, "by bytes")
        window.freeFirst()
        #expect(window.count == 1)
    }

    @Test("SplitMix64 gives the published sequence, and bounded draws stay in range")
    func splitMix() {
        var random = SplitMix64(seed: 1_234_567)
        #expect(random.next() == 6_457_827_717_110_365_317)
        #expect(random.next() == 3_203_168_211_198_807_973)
        for bound: UInt64 in [1, 2, 3, 10, 1 << 40] {
            for _ in 0..<100 { #expect(random.next(below: bound) < bound) }
        }
    }
}
