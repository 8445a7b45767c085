import Testing

@testable import MVCC

@Suite("Hashes")
struct HashTests {
    private func replay(_ f: StoreFixture, extraIndex: Bool = false) throws {
        if extraIndex { try f.write { _ in } }
        try f.grant(3)
        try f.put("a", "1", lease: 3)
        try f.put("b", "1")
        try f.txn(
            TxnRequest(success: [
                .put(PutRequest(key: utf8("c"), value: utf8("1"))),
                .deleteRange(DeleteRangeRequest(key: utf8("b"))),
            ])
        )
        try f.put("a", "2")
        try f.compact(3)
        try f.put("d", "1")
    }

    @Test("two stores with the same history hash alike, whatever their consistent index")
    func sameHistorySameHash() throws {
        let one = try StoreFixture()
        let two = try StoreFixture()
        try replay(one)
        try replay(two, extraIndex: true)
        #expect(one.store.consistentIndex != two.store.consistentIndex)
        for revision: Int64 in [0, 4, 5, 6] {
            let h1 = try one.store.hashKV(revision: revision)
            let h2 = try two.store.hashKV(revision: revision)
            #expect(h1 == h2)
            #expect(h1.revision == 6 && h1.compactRevision == 3)
        }
        try two.write { try $0.setMeta("member", utf8("two")) }
        #expect(try one.store.hash() == two.store.hash())
        #expect(try one.store.hashKV(revision: 4).hash != one.store.hashKV(revision: 5).hash)
        try two.put("d", "2")
        #expect(try one.store.hashKV(revision: 0).hash != two.store.hashKV(revision: 0).hash)
        #expect(try one.store.hashKV(revision: 6).hash == two.store.hashKV(revision: 6).hash)
        #expect(try one.store.hash() != two.store.hash())
    }

    @Test("hashKV refuses compacted and future revisions")
    func hashBounds() throws {
        let f = try StoreFixture()
        try replay(f)
        #expect(throws: MVCCError.compacted(requested: 3, compactedRevision: 3)) { try f.store.hashKV(revision: 3) }
        #expect(throws: MVCCError.futureRevision(requested: 7, current: 6)) { try f.store.hashKV(revision: 7) }
    }

    @Test("a record kept by the last compaction stops counting once its key changes again")
    func supersededSurvivor() throws {
        let f = try StoreFixture()
        try f.put("a", "1")  // 2
        try f.put("b", "1")  // 3
        try f.compact(3)
        try f.put("a", "2")  // 4
        try f.put("c", "1")  // 5
        // At revision 4, a@2 (kept by the compaction) is superseded by a@4: only b@3 and a@4 count.
        let expected = try f.store.environment.read { txn -> UInt32 in
            var crc = CRC32C()
            crc.update(utf8("history"))
            for revision in [Revision(main: 3), Revision(main: 4)] {
                crc.update(revision.bytes)
                crc.update(try #require(try txn.get(f.store.databases.history, revision.bytes)))
            }
            return crc.value
        }
        #expect(try f.store.hashKV(revision: 4).hash == expected)
        #expect(try f.store.hashKV(revision: 5).hash != expected)
    }

    @Test("the data file size and the bytes in use are reported")
    func sizes() throws {
        let f = try StoreFixture()
        for i in 0..<100 { try f.put("k\(i)", String(repeating: "v", count: 1000)) }
        #expect(f.store.dbSizeBytes > 100_000)
        #expect(f.store.dbSizeInUseBytes > 100_000 && f.store.dbSizeInUseBytes <= f.store.dbSizeBytes)
    }
}
