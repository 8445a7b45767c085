import Testing

@testable import MVCC

@Suite("Leases")
struct LeaseTests {
    @Test("grant records a lease; granting it again, or granting id 0, is refused")
    func grant() throws {
        let f = try StoreFixture()
        try f.grant(7, ttl: 30)
        try f.grant(-3, ttl: 5)
        #expect(try f.store.lease(7) == LeaseRecord(id: 7, ttl: 30))
        #expect(try f.store.lease(8) == nil)
        #expect(try Set(f.store.leases().map(\.id)) == [7, -3])
        #expect(throws: MVCCError.leaseExists(7)) { try f.grant(7) }
        #expect(throws: MVCCError.leaseNotFound(0)) { try f.grant(0) }
        #expect(f.store.currentRevision == 1)
    }

    @Test("a put attaches the key to its lease, and moves it when the lease changes or goes")
    func attachAndDetach() throws {
        let f = try StoreFixture()
        try f.grant(1)
        try f.grant(2)
        try f.put("a", "1", lease: 1)
        try f.put("b", "1", lease: 1)
        #expect(try f.store.keys(attachedTo: 1) == [utf8("a"), utf8("b")])
        try f.put("a", "2", lease: 2)
        #expect(try f.store.keys(attachedTo: 1) == [utf8("b")])
        #expect(try f.store.keys(attachedTo: 2) == [utf8("a")])
        try f.put("a", "3")
        #expect(try f.store.keys(attachedTo: 2) == [])
        try f.delete("b")
        #expect(try f.store.keys(attachedTo: 1) == [])
    }

    @Test("revoke deletes every attached key in one revision, in key order, and forgets the lease")
    func revoke() throws {
        let f = try StoreFixture()
        try f.grant(1)
        for key in ["c", "a", "b"] { try f.put(key, key, lease: 1) }
        try f.put("other", "x")
        let (_, events) = try f.write { try $0.revokeLease(id: 1) }
        #expect(f.store.currentRevision == 6)
        #expect(events.keyStrings == ["a", "b", "c"])
        #expect(events.allSatisfy { $0.kind == .delete && $0.kv.modRevision == 6 && $0.prevKV?.lease == 1 })
        #expect(try f.store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs.keyStrings == ["other"])
        #expect(try f.store.lease(1) == nil)
        #expect(try f.store.keys(attachedTo: 1) == [])
        #expect(throws: MVCCError.leaseNotFound(1)) { try f.write { try $0.revokeLease(id: 1) } }
    }

    @Test("revoking a lease without keys takes no revision")
    func revokeEmpty() throws {
        let f = try StoreFixture()
        try f.grant(4)
        try f.put("a", "1")
        let (_, events) = try f.write { try $0.revokeLease(id: 4) }
        #expect(events.isEmpty && f.store.currentRevision == 2)
        #expect(try f.store.leases() == [])
    }
}
