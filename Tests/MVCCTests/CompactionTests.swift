import LMDB
import Testing

@testable import MVCC

@Suite("Compaction")
struct CompactionTests {
    /// Number of records left in a database.
    private func entries(_ f: StoreFixture, _ database: KeyPath<KeySpaceDatabases, Database>) throws -> Int {
        try f.store.environment.read { try $0.statistics(f.store.databases[keyPath: database]).entries }
    }

    @Test("after compacting at R, reads below R fail, reads at R and above work, a future R is refused")
    func readsAroundCompaction() throws {
        let f = try StoreFixture()
        for i in 1...5 { try f.put("k", "v\(i)") }  // revisions 2...6
        #expect(throws: MVCCError.futureRevision(requested: 7, current: 6)) { try f.compact(7) }
        try f.compact(4)
        #expect(f.store.compactedRevision == 4)
        #expect(f.store.currentRevision == 6)
        #expect(throws: MVCCError.compacted(requested: 3, compactedRevision: 4)) { try f.get("k", at: 3) }
        #expect(try f.get("k", at: 4)?.value == utf8("v3"))
        #expect(try f.get("k", at: 5)?.value == utf8("v4"))
        #expect(try f.get("k")?.version == 5)
        #expect(throws: MVCCError.compacted(requested: 4, compactedRevision: 4)) { try f.compact(4) }
        #expect(throws: MVCCError.compacted(requested: 2, compactedRevision: 4)) { try f.compact(2) }
        try f.compact(6)
        #expect(try f.get("k", at: 6)?.value == utf8("v5"))
    }

    @Test("keys alive at R keep their state at R; keys deleted at or before R lose their whole history")
    func whatCompactionKeeps() throws {
        let f = try StoreFixture()
        try f.put("alive", "1")  // 2
        try f.put("gone", "1")  // 3
        try f.put("alive", "2")  // 4
        try f.delete("gone")  // 5
        try f.put("late", "1")  // 6
        try f.put("deleted-at-r", "1")  // 7
        try f.delete("deleted-at-r")  // 8
        try f.put("alive", "3")  // 9
        #expect(try entries(f, \.history) == 8)
        try f.compact(8)
        // Kept: alive@4, late@6, alive@9.
        #expect(try entries(f, \.history) == 3)
        #expect(try entries(f, \.keyIndex) == 3)
        let atR = try f.store.range(RangeRequest(key: [0], rangeEnd: [0], revision: 8))
        #expect(atR.kvs.keyStrings == ["alive", "late"])
        #expect(
            atR.kvs[0] == KeyValue(key: utf8("alive"), createRevision: 2, modRevision: 4, version: 2, value: utf8("2"))
        )
        #expect(try f.get("alive")?.version == 3)
        #expect(try f.get("gone", at: 8) == nil)
        let events = try f.store.events(from: 8, through: 9, range: .all, prevKV: true, limitRevisions: 0)
        #expect(events.count == 1 && events[0].kv.modRevision == 9)
        #expect(events[0].prevKV?.modRevision == 4)
    }

    @Test("a key written before R and not since keeps its only record through later compactions")
    func untouchedKeysSurvive() throws {
        let f = try StoreFixture()
        try f.put("old", "1")
        for i in 0..<5 { try f.put("busy", "\(i)") }
        try f.compact(4)
        try f.compact(f.store.currentRevision)
        #expect(
            try f.get("old")
                == KeyValue(key: utf8("old"), createRevision: 2, modRevision: 2, version: 1, value: utf8("1"))
        )
        #expect(try entries(f, \.history) == 2)
    }

    @Test("history older than the compacted revision cannot be watched; from the compacted revision on it can")
    func eventsAfterCompaction() throws {
        let f = try StoreFixture()
        for i in 1...4 { try f.put("k\(i)", "v") }  // 2...5
        try f.compact(3)
        #expect(throws: MVCCError.compacted(requested: 2, compactedRevision: 3)) {
            try f.store.events(from: 2, through: 5, range: .all, prevKV: false, limitRevisions: 0)
        }
        let events = try f.store.events(from: 3, through: 5, range: .all, prevKV: false, limitRevisions: 0)
        #expect(events.map(\.kv.modRevision) == [3, 4, 5])
    }

    @Test("compaction visits every key changed since the last one, across chunks")
    func compactionInChunks() throws {
        let f = try StoreFixture()
        let count = KeySpaceWriter.compactionChunk + 500
        try f.write { batch in
            _ = try batch.txn(
                TxnRequest(
                    success: (0..<count).map {
                        .put(PutRequest(key: utf8("key-\($0)"), value: utf8("a")))
                    }
                )
            )
            _ = try batch.txn(
                TxnRequest(
                    success: (0..<count).map {
                        .put(PutRequest(key: utf8("key-\($0)"), value: utf8("b")))
                    }
                )
            )
            _ = try batch.deleteRange(DeleteRangeRequest(key: utf8("key-1"), rangeEnd: utf8("key-2")))
        }
        try f.compact(3)
        let survivors = try f.store.range(RangeRequest(key: [0], rangeEnd: [0], countOnly: true)).count
        #expect(try entries(f, \.history) == count + (count - Int(survivors)))
        try f.compact(4)
        #expect(try entries(f, \.history) == Int(survivors))
        #expect(try entries(f, \.keyIndex) == Int(survivors))
    }
}
