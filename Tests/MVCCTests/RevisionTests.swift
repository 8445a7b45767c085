import Testing

@testable import MVCC

@Suite("Revisions, versions and generations")
struct RevisionTests {
    @Test("an empty store is at revision 1 and the first write takes revision 2")
    func numberingStartsAtOne() throws {
        let f = try StoreFixture()
        #expect(f.store.currentRevision == 1)
        #expect(f.store.compactedRevision == 0)
        #expect(try f.store.range(RangeRequest(key: [0], rangeEnd: [0])) == RangeResponse())
        #expect(try f.put("a", "1") == 2)
        let kv = try #require(try f.get("a"))
        #expect(kv == KeyValue(key: utf8("a"), createRevision: 2, modRevision: 2, version: 1, value: utf8("1")))
    }

    @Test("each put takes a revision; create revision stays and version counts up within a generation")
    func versionsWithinGeneration() throws {
        let f = try StoreFixture()
        try f.put("a", "1")
        try f.put("b", "x")
        try f.put("a", "2")
        try f.put("a", "3")
        let kv = try #require(try f.get("a"))
        #expect(kv.createRevision == 2 && kv.modRevision == 5 && kv.version == 3 && kv.value == utf8("3"))
        #expect(f.store.currentRevision == 5)
    }

    @Test("a delete ends the generation: re-creating starts at version 1 with a new create revision")
    func generationsAfterDelete() throws {
        let f = try StoreFixture()
        try f.put("a", "1")
        try f.put("a", "2")
        #expect(try f.delete("a").deleted == 1)
        #expect(f.store.currentRevision == 4)
        #expect(try f.get("a") == nil)
        try f.put("a", "3")
        let kv = try #require(try f.get("a"))
        #expect(kv.createRevision == 5 && kv.modRevision == 5 && kv.version == 1)
    }

    @Test("deleting nothing takes no revision")
    func emptyDeleteTakesNoRevision() throws {
        let f = try StoreFixture()
        try f.put("a", "1")
        let (response, events) = try f.write { try $0.deleteRange(DeleteRangeRequest(key: utf8("zz"))) }
        #expect(response.deleted == 0 && events.isEmpty)
        #expect(f.store.currentRevision == 2)
    }

    @Test("a delete range takes one revision, with sub-revisions in key order")
    func deleteRangeSubRevisions() throws {
        let f = try StoreFixture()
        for key in ["c", "a", "b", "d"] { try f.put(key, key) }
        let (response, events) = try f.write { batch in
            try batch.deleteRange(DeleteRangeRequest(key: utf8("a"), rangeEnd: utf8("d"), prevKV: true))
        }
        #expect(response.deleted == 3)
        #expect(response.prevKVs.keyStrings == ["a", "b", "c"])
        #expect(f.store.currentRevision == 6)
        #expect(events.map(\.kind) == [.delete, .delete, .delete])
        #expect(events.keyStrings == ["a", "b", "c"])
        #expect(events.allSatisfy { $0.kv.modRevision == 6 })
        let history = try f.store.events(from: 6, through: 6, range: .all, prevKV: false, limitRevisions: 0)
        #expect(history == events.map { Event(kind: $0.kind, kv: $0.kv) })
    }

    @Test("a txn's writes share one revision and take sub-revisions in order")
    func txnSubRevisions() throws {
        let f = try StoreFixture()
        try f.put("x", "0")
        let request = TxnRequest(success: [
            .put(PutRequest(key: utf8("b"), value: utf8("1"))),
            .deleteRange(DeleteRangeRequest(key: utf8("x"))),
            .put(PutRequest(key: utf8("a"), value: utf8("2"))),
        ])
        let (_, events) = try f.write { try $0.txn(request) }
        #expect(f.store.currentRevision == 3)
        #expect(events.keyStrings == ["b", "x", "a"])
        #expect(events.map(\.kind) == [.put, .delete, .put])
        let stored = try f.store.events(from: 3, through: 3, range: .all, prevKV: false, limitRevisions: 0)
        #expect(stored.keyStrings == ["b", "x", "a"])
        #expect(try f.get("a")?.createRevision == 3 && f.get("b")?.modRevision == 3)
    }

    @Test("a txn without writes, and a failed compare with only reads, take no revision")
    func readOnlyTxnTakesNoRevision() throws {
        let f = try StoreFixture()
        try f.put("a", "1")
        let response = try f.txn(
            TxnRequest(
                compare: [Compare(key: utf8("a"), result: .equal, target: .value(utf8("nope")))],
                success: [.put(PutRequest(key: utf8("a"), value: utf8("2")))],
                failure: [.range(RangeRequest(key: utf8("a")))]
            )
        )
        #expect(!response.succeeded)
        guard case .range(let range) = response.responses.first else {
            Issue.record("expected a range response")
            return
        }
        #expect(range.kvs.first?.value == utf8("1"))
        #expect(f.store.currentRevision == 2)
    }

    @Test("one batch: a revision per entry that changes keys; lease grants, failures and reads take none")
    func batchRevisions() throws {
        let f = try StoreFixture()
        let (revisions, events) = try f.write { batch -> [Int64] in
            var seen: [Int64] = []
            _ = try batch.put(PutRequest(key: utf8("a"), value: utf8("1")))
            seen.append(batch.currentRevision)
            try batch.grantLease(id: 7, ttl: 10)
            seen.append(batch.currentRevision)
            _ = try? batch.put(PutRequest(key: utf8("b"), value: utf8("1"), lease: 99))
            seen.append(batch.currentRevision)
            _ = try batch.put(PutRequest(key: utf8("b"), value: utf8("2"), lease: 7))
            seen.append(batch.currentRevision)
            _ = try batch.range(RangeRequest(key: utf8("a")))
            seen.append(batch.currentRevision)
            return seen
        }
        #expect(revisions == [2, 2, 2, 3, 3])
        #expect(events.map(\.kv.modRevision) == [2, 3])
        #expect(f.store.currentRevision == 3)
    }

    @Test("historical reads see a deleted key before its tombstone and not after")
    func tombstonesInHistory() throws {
        let f = try StoreFixture()
        try f.put("a", "1")
        try f.put("a", "2")
        try f.delete("a")
        try f.put("a", "3")
        #expect(try f.get("a", at: 1) == nil)
        #expect(try f.get("a", at: 2)?.value == utf8("1"))
        #expect(try f.get("a", at: 3)?.value == utf8("2"))
        #expect(try f.get("a", at: 3)?.version == 2)
        #expect(try f.get("a", at: 4) == nil)
        #expect(try f.get("a", at: 5)?.version == 1)
        #expect(try f.get("a", at: 5)?.createRevision == 5)
    }
}
