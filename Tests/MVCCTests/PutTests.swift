import Testing

@testable import MVCC

@Suite("Put")
struct PutTests {
    @Test("prevKV returns the previous state, nil for a new key")
    func prevKV() throws {
        let f = try StoreFixture()
        let first = try f.write { try $0.put(PutRequest(key: utf8("a"), value: utf8("1"), prevKV: true)) }.result
        #expect(first.prevKV == nil)
        let second = try f.write { try $0.put(PutRequest(key: utf8("a"), value: utf8("2"), prevKV: true)) }.result
        #expect(
            second.prevKV == KeyValue(key: utf8("a"), createRevision: 2, modRevision: 2, version: 1, value: utf8("1"))
        )
        let silent = try f.write { try $0.put(PutRequest(key: utf8("a"), value: utf8("3"))) }.result
        #expect(silent.prevKV == nil)
    }

    @Test("ignoreValue keeps the value; it needs an existing key and no value of its own")
    func ignoreValue() throws {
        let f = try StoreFixture()
        try f.grant(3)
        try f.put("a", "keep")
        try f.write { _ = try $0.put(PutRequest(key: utf8("a"), lease: 3, ignoreValue: true)) }
        let a = try #require(try f.get("a"))
        #expect(a.value == utf8("keep") && a.lease == 3 && a.version == 2)
        #expect(throws: MVCCError.valueProvided) {
            try f.write { _ = try $0.put(PutRequest(key: utf8("a"), value: utf8("x"), ignoreValue: true)) }
        }
        #expect(throws: MVCCError.keyNotFoundForIgnore) {
            try f.write { _ = try $0.put(PutRequest(key: utf8("missing"), ignoreValue: true)) }
        }
        try f.delete("a")
        #expect(throws: MVCCError.keyNotFoundForIgnore) {
            try f.write { _ = try $0.put(PutRequest(key: utf8("a"), ignoreValue: true)) }
        }
    }

    @Test("ignoreLease keeps the lease; it needs an existing key and no lease of its own")
    func ignoreLease() throws {
        let f = try StoreFixture()
        try f.grant(3)
        try f.put("a", "1", lease: 3)
        try f.write { _ = try $0.put(PutRequest(key: utf8("a"), value: utf8("2"), ignoreLease: true)) }
        let a = try #require(try f.get("a"))
        #expect(a.value == utf8("2") && a.lease == 3)
        #expect(try f.store.keys(attachedTo: 3) == [utf8("a")])
        #expect(throws: MVCCError.leaseProvided) {
            try f.write { _ = try $0.put(PutRequest(key: utf8("a"), lease: 3, ignoreLease: true)) }
        }
        #expect(throws: MVCCError.keyNotFoundForIgnore) {
            try f.write { _ = try $0.put(PutRequest(key: utf8("b"), ignoreLease: true)) }
        }
    }

    @Test("a put naming an unknown lease is refused; empty and oversized keys are refused")
    func refusedPuts() throws {
        let f = try StoreFixture()
        #expect(throws: MVCCError.leaseNotFound(42)) {
            try f.write { _ = try $0.put(PutRequest(key: utf8("a"), value: utf8("1"), lease: 42)) }
        }
        #expect(throws: MVCCError.emptyKey) {
            try f.write { _ = try $0.put(PutRequest(key: [], value: utf8("1"))) }
        }
        let tooLong = MVCCStore.maxKeySize + 1
        #expect(throws: MVCCError.keyTooLarge(tooLong)) {
            try f.write { _ = try $0.put(PutRequest(key: [UInt8](repeating: 1, count: tooLong), value: utf8("1"))) }
        }
        let longest = [UInt8](repeating: 1, count: MVCCStore.maxKeySize)
        try f.write { _ = try $0.put(PutRequest(key: longest, value: [UInt8](repeating: 9, count: 100_000))) }
        #expect(try f.store.range(RangeRequest(key: longest)).kvs.first?.value.count == 100_000)
        #expect(f.store.currentRevision == 2)
        #expect(MVCCError.leaseNotFound(1).message == "etcdserver: requested lease not found")
    }

    @Test("putting the same value again still takes a revision and bumps the version")
    func samePutAgain() throws {
        let f = try StoreFixture()
        try f.put("a", "1")
        try f.put("a", "1")
        #expect(try f.get("a")?.version == 2)
        #expect(f.store.currentRevision == 3)
    }
}
