import Testing

@testable import MVCC

@Suite("Range")
struct RangeTests {
    /// Keys a, a/1, a/2, b, c, d/x, with puts in that order (revisions 2...7), then a/1 updated (8)
    /// and c updated twice (9, 10).
    private func fixture() throws -> StoreFixture {
        let f = try StoreFixture()
        for key in ["a", "a/1", "a/2", "b", "c", "d/x"] { try f.put(key, "v-" + key) }
        try f.put("a/1", "zz")
        try f.put("c", "c2")
        try f.put("c", "a3")
        return f
    }

    @Test("the range forms: single key, [key, end), prefix, from key, all keys")
    func rangeForms() throws {
        let f = try fixture()
        #expect(try f.keys(RangeRequest(key: utf8("b"))) == ["b"])
        #expect(try f.keys(RangeRequest(key: utf8("bb"))) == [])
        #expect(try f.keys(RangeRequest(key: utf8("a/"), rangeEnd: utf8("c"))) == ["a/1", "a/2", "b"])
        let prefix = KeyRange.prefix(utf8("a/"))
        #expect(try f.keys(RangeRequest(key: prefix.key, rangeEnd: prefix.rangeEnd)) == ["a/1", "a/2"])
        #expect(try f.keys(RangeRequest(key: utf8("c"), rangeEnd: [0])) == ["c", "d/x"])
        #expect(try f.keys(RangeRequest(key: [0], rangeEnd: [0])) == ["a", "a/1", "a/2", "b", "c", "d/x"])
        #expect(try f.keys(RangeRequest(key: utf8("c"), rangeEnd: utf8("b"))) == [])
        #expect(try f.keys(RangeRequest(key: utf8("c"), rangeEnd: utf8("c"))) == [])
        #expect(KeyRange.prefixEnd([0x61, 0xff]) == [0x62])
        #expect(KeyRange.prefixEnd([0xff, 0xff]) == [0])
    }

    @Test("limit cuts the result, sets more, and count stays the number of keys in the range")
    func limitMoreCount() throws {
        let f = try fixture()
        let limited = try f.store.range(RangeRequest(key: [0], rangeEnd: [0], limit: 2))
        #expect(limited.kvs.keyStrings == ["a", "a/1"])
        #expect(limited.more && limited.count == 6)
        let exact = try f.store.range(RangeRequest(key: [0], rangeEnd: [0], limit: 6))
        #expect(!exact.more && exact.count == 6 && exact.kvs.count == 6)
        let none = try f.store.range(RangeRequest(key: utf8("x"), rangeEnd: [0], limit: 1))
        #expect(none == RangeResponse(kvs: [], more: false, count: 0))
    }

    @Test("sorting by each target, ascending and descending; a target without order sorts ascending")
    func sorting() throws {
        let f = try fixture()
        func sorted(_ target: RangeRequest.SortTarget, _ order: RangeRequest.SortOrder) throws -> [String] {
            try f.keys(RangeRequest(key: [0], rangeEnd: [0], sortOrder: order, sortTarget: target))
        }
        #expect(try sorted(.key, .none) == ["a", "a/1", "a/2", "b", "c", "d/x"])
        #expect(try sorted(.key, .ascend) == ["a", "a/1", "a/2", "b", "c", "d/x"])
        #expect(try sorted(.key, .descend) == ["d/x", "c", "b", "a/2", "a/1", "a"])
        // create: a=2 a/1=3 a/2=4 b=5 c=6 d/x=7
        #expect(try sorted(.create, .ascend) == ["a", "a/1", "a/2", "b", "c", "d/x"])
        #expect(try sorted(.create, .descend) == ["d/x", "c", "b", "a/2", "a/1", "a"])
        // mod: a=2 a/2=4 b=5 d/x=7 a/1=8 c=10
        #expect(try sorted(.mod, .ascend) == ["a", "a/2", "b", "d/x", "a/1", "c"])
        #expect(try sorted(.mod, .none) == ["a", "a/2", "b", "d/x", "a/1", "c"])
        #expect(try sorted(.mod, .descend) == ["c", "a/1", "d/x", "b", "a/2", "a"])
        // version: c=3, a/1=2, others 1; ties by key
        #expect(try sorted(.version, .ascend) == ["a", "a/2", "b", "d/x", "a/1", "c"])
        #expect(try sorted(.version, .descend) == ["c", "a/1", "a", "a/2", "b", "d/x"])
        // value: a3 (c), v-a, v-a/2, v-b, v-d/x, zz (a/1)
        #expect(try sorted(.value, .ascend) == ["c", "a", "a/2", "b", "d/x", "a/1"])
        #expect(try sorted(.value, .descend) == ["a/1", "d/x", "b", "a/2", "a", "c"])
    }

    @Test("sorting happens before the limit")
    func sortThenLimit() throws {
        let f = try fixture()
        let r = try f.store.range(
            RangeRequest(key: [0], rangeEnd: [0], limit: 2, sortOrder: .descend, sortTarget: .mod)
        )
        #expect(r.kvs.keyStrings == ["c", "a/1"])
        #expect(r.more && r.count == 6)
        #expect(r.kvs[0].value == utf8("a3"))
        let byKey = try f.store.range(RangeRequest(key: [0], rangeEnd: [0], limit: 2, sortOrder: .descend))
        #expect(byKey.kvs.keyStrings == ["d/x", "c"] && byKey.more)
    }

    @Test("keysOnly drops values, countOnly drops the keys and keeps the count")
    func keysOnlyCountOnly() throws {
        let f = try fixture()
        let keysOnly = try f.store.range(RangeRequest(key: utf8("a"), rangeEnd: utf8("b"), keysOnly: true))
        #expect(keysOnly.kvs.keyStrings == ["a", "a/1", "a/2"])
        #expect(keysOnly.kvs.allSatisfy { $0.value.isEmpty && $0.version > 0 && $0.createRevision > 0 })
        let sortedKeysOnly = try f.store.range(
            RangeRequest(key: [0], rangeEnd: [0], sortOrder: .ascend, sortTarget: .value, keysOnly: true)
        )
        #expect(sortedKeysOnly.kvs.keyStrings.first == "c")
        #expect(sortedKeysOnly.kvs.allSatisfy { $0.value.isEmpty })
        let countOnly = try f.store.range(RangeRequest(key: [0], rangeEnd: [0], limit: 1, countOnly: true))
        #expect(countOnly == RangeResponse(kvs: [], more: false, count: 6))
    }

    @Test("min/max mod and create revision filters narrow the keys returned but not the count")
    func revisionFilters() throws {
        let f = try fixture()
        func filtered(_ request: RangeRequest) throws -> ([String], Int64, Bool) {
            let r = try f.store.range(request)
            return (r.kvs.keyStrings, r.count, r.more)
        }
        let all = RangeRequest(key: [0], rangeEnd: [0])
        var r = all
        r.minModRevision = 7
        #expect(try filtered(r) == (["a/1", "c", "d/x"], 6, false))
        r = all
        r.maxModRevision = 4
        #expect(try filtered(r) == (["a", "a/2"], 6, false))
        r = all
        r.minCreateRevision = 5
        #expect(try filtered(r) == (["b", "c", "d/x"], 6, false))
        r = all
        r.maxCreateRevision = 3
        #expect(try filtered(r) == (["a", "a/1"], 6, false))
        r = all
        r.minCreateRevision = 3
        r.maxModRevision = 7
        r.limit = 2
        #expect(try filtered(r) == (["a/2", "b"], 6, true))
        r.limit = 3
        #expect(try filtered(r) == (["a/2", "b", "d/x"], 6, false))
    }

    @Test("reads at an old revision see the keys, values and versions of then")
    func historicalReads() throws {
        let f = try fixture()
        try f.delete("b")
        let atSix = try f.store.range(RangeRequest(key: [0], rangeEnd: [0], revision: 6))
        #expect(atSix.kvs.keyStrings == ["a", "a/1", "a/2", "b", "c"])
        #expect(atSix.kvs[1].value == utf8("v-a/1"))
        #expect(atSix.kvs[4].version == 1)
        let atNine = try f.store.range(RangeRequest(key: [0], rangeEnd: [0], revision: 9))
        #expect(atNine.kvs.map(\.version) == [1, 2, 1, 1, 2, 1])
        #expect(atNine.kvs[4].value == utf8("c2"))
        let now = try f.store.range(RangeRequest(key: [0], rangeEnd: [0]))
        #expect(now.kvs.keyStrings == ["a", "a/1", "a/2", "c", "d/x"])
        let sortedOld = try f.store.range(
            RangeRequest(key: [0], rangeEnd: [0], revision: 8, sortOrder: .descend, sortTarget: .mod)
        )
        #expect(sortedOld.kvs.keyStrings == ["a/1", "d/x", "c", "b", "a/2", "a"])
    }

    @Test("a future revision, and an empty key, are refused")
    func refusedReads() throws {
        let f = try fixture()
        #expect(throws: MVCCError.futureRevision(requested: 11, current: 10)) {
            try f.store.range(RangeRequest(key: utf8("a"), revision: 11))
        }
        #expect(throws: MVCCError.emptyKey) { try f.store.range(RangeRequest(key: [])) }
        let longKey = [UInt8](repeating: 0x61, count: 600)
        #expect(try f.keys(RangeRequest(key: longKey, rangeEnd: [0])) == ["b", "c", "d/x"])
        #expect(try f.keys(RangeRequest(key: longKey)) == [])
    }
}
