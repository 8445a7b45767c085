import Testing

@testable import MVCC

@Suite("History events")
struct EventsTests {
    @Test("events come ordered by revision then sub-revision, filtered by key range")
    func ordering() throws {
        let f = try StoreFixture()
        try f.put("a", "1")  // 2
        try f.txn(
            TxnRequest(success: [  // 3
                .put(PutRequest(key: utf8("c"), value: utf8("1"))),
                .put(PutRequest(key: utf8("b"), value: utf8("1"))),
            ])
        )
        try f.delete("a")  // 4
        try f.put("zz", "1")  // 5
        let all = try f.store.events(from: 1, through: 10, range: .all, prevKV: false, limitRevisions: 0)
        #expect(all.keyStrings == ["a", "c", "b", "a", "zz"])
        #expect(all.map(\.kv.modRevision) == [2, 3, 3, 4, 5])
        #expect(all[3] == Event(kind: .delete, kv: KeyValue(key: utf8("a"), modRevision: 4)))
        let some = try f.store.events(
            from: 3,
            through: 4,
            range: KeyRange(key: utf8("a"), rangeEnd: utf8("c")),
            prevKV: false,
            limitRevisions: 0
        )
        #expect(some.keyStrings == ["b", "a"])
        #expect(try f.store.events(from: 6, through: 9, range: .all, prevKV: false, limitRevisions: 0).isEmpty)
        #expect(try f.store.events(from: 4, through: 3, range: .all, prevKV: false, limitRevisions: 0).isEmpty)
    }

    @Test("a limit counts whole revisions with matching events and never splits a revision")
    func limits() throws {
        let f = try StoreFixture()
        try f.put("x", "1")  // 2
        try f.txn(TxnRequest(success: (0..<3).map { .put(PutRequest(key: utf8("k\($0)"), value: utf8("1"))) }))  // 3
        try f.put("y", "1")  // 4
        try f.put("k9", "1")  // 5
        let two = try f.store.events(from: 2, through: 5, range: .all, prevKV: false, limitRevisions: 2)
        #expect(two.map(\.kv.modRevision) == [2, 3, 3, 3])
        let prefixed = try f.store.events(
            from: 2,
            through: 5,
            range: .prefix(utf8("k")),
            prevKV: false,
            limitRevisions: 1
        )
        #expect(prefixed.map(\.kv.modRevision) == [3, 3, 3])
        let next = try f.store.events(from: 4, through: 5, range: .prefix(utf8("k")), prevKV: false, limitRevisions: 1)
        #expect(next.map(\.kv.modRevision) == [5])
    }

    @Test("prevKV gives the state before each change; write returns events with prevKV filled")
    func previousStates() throws {
        let f = try StoreFixture()
        let first = try f.write { try $0.put(PutRequest(key: utf8("a"), value: utf8("1"))) }.events
        #expect(
            first == [
                Event(
                    kind: .put,
                    kv: KeyValue(key: utf8("a"), createRevision: 2, modRevision: 2, version: 1, value: utf8("1"))
                )
            ]
        )
        let second = try f.write { try $0.put(PutRequest(key: utf8("a"), value: utf8("2"))) }.events
        #expect(second[0].prevKV?.value == utf8("1"))
        let third = try f.write { try $0.deleteRange(DeleteRangeRequest(key: utf8("a"))) }.events
        #expect(third[0].prevKV?.value == utf8("2"))
        try f.put("a", "3")
        let stored = try f.store.events(from: 2, through: 5, range: .all, prevKV: true, limitRevisions: 0)
        #expect(stored.map { $0.prevKV?.value } == [nil, utf8("1"), utf8("2"), nil])
        #expect(stored[1].prevKV?.modRevision == 2)
        let plain = try f.store.events(from: 2, through: 5, range: .all, prevKV: false, limitRevisions: 0)
        #expect(plain.allSatisfy { $0.prevKV == nil })
    }
}
