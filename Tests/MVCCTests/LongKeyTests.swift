import Foundation
import LMDB
import Testing

@testable import MVCC

/// Keys longer than LMDB's key limit: stored by prefix and digest (see `IndexKey`), yet read back exactly as
/// etcd orders them.
@Suite("Long keys")
struct LongKeyTests {
    /// A key as long as a key can be and still be its own index key.
    static let direct = [UInt8](repeating: UInt8(ascii: "p"), count: IndexKey.maxDirectCount)

    static func long(_ suffix: String) -> [UInt8] { direct + utf8(suffix) }

    static func sorted(_ keys: [[UInt8]]) -> [[UInt8]] { keys.sorted { compareBytes($0, $1) < 0 } }

    /// Twenty long keys of one group, written in the reverse of their digest order, around the direct key that
    /// prefixes them and keys on either side.
    static func populate(_ f: StoreFixture) throws -> (written: [[UInt8]], revisions: [Int64]) {
        var group = (0..<20).map { long(String(format: "k%02d", $0)) }
        group += [direct + [0], direct + [0xff], direct + [0xff, 0xff]]
        group.sort { compareBytes(SHA256.digest($0), SHA256.digest($1)) > 0 }
        let written = [utf8("a")] + group + [direct, utf8("q")]
        var revisions: [Int64] = []
        for key in written {
            try f.write { _ = try $0.put(PutRequest(key: key, value: key.suffix(3) + [1])) }
            revisions.append(f.store.currentRevision)
        }
        return (written, revisions)
    }

    static func keys(_ f: StoreFixture, _ request: RangeRequest) throws -> [[UInt8]] {
        try f.store.range(request).kvs.map(\.key)
    }

    @Test("the index order of a group is not key order, so the test below means something")
    func digestOrderDiffers() {
        let group = (0..<20).map { Self.long(String(format: "k%02d", $0)) }
        let byDigest = group.sorted { compareBytes(IndexKey.of($0), IndexKey.of($1)) < 0 }
        #expect(byDigest != Self.sorted(group))
        #expect(IndexKey.of(group[0]).count == IndexKey.longCount)
        #expect(IndexKey.of(Self.direct) == Self.direct)
        #expect(IndexKey.longCount <= 511)
    }

    @Test("SHA-256 matches the published test vectors")
    func digestVectors() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA256.digest([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.digest(utf8("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let twoBlocks = utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        #expect(
            hex(SHA256.digest(twoBlocks)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("ranges, prefixes, from-key, limit, sort and count come back in key order")
    func rangeOrder() throws {
        let f = try StoreFixture()
        let (written, revisions) = try Self.populate(f)
        let all = Self.sorted(written)
        let prefix = Self.direct

        #expect(try Self.keys(f, RangeRequest(key: [0], rangeEnd: [0])) == all)
        #expect(try Self.keys(f, RangeRequest(key: utf8("a"), rangeEnd: utf8("z"))) == all)
        let withPrefix = all.filter { $0.starts(with: prefix) }
        #expect(withPrefix.count == 24)
        #expect(try Self.keys(f, RangeRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix))) == withPrefix)
        let k1 = Self.long("k1")
        let k1Keys = all.filter { $0.starts(with: k1) }
        #expect(k1Keys.count == 10)
        #expect(try Self.keys(f, RangeRequest(key: k1, rangeEnd: KeyRange.prefixEnd(k1))) == k1Keys)

        // Bounds inside the group are exact.
        let low = Self.long("k05")
        let high = Self.long("k12")
        let between = all.filter { compareBytes($0, low) >= 0 && compareBytes($0, high) < 0 }
        #expect(between.count == 7)
        #expect(try Self.keys(f, RangeRequest(key: low, rangeEnd: high)) == between)
        let fromKey = all.filter { compareBytes($0, Self.long("k10")) >= 0 }
        #expect(try Self.keys(f, RangeRequest(key: Self.long("k10"), rangeEnd: [0])) == fromKey)
        // A start key inside the group that is not itself stored.
        let fromMissing = all.filter { compareBytes($0, Self.long("k05x")) >= 0 }
        #expect(try Self.keys(f, RangeRequest(key: Self.long("k05x"), rangeEnd: [0])) == fromMissing)
        // An end key inside the group.
        let below = all.filter { compareBytes($0, Self.long("k03")) < 0 }
        #expect(try Self.keys(f, RangeRequest(key: [0], rangeEnd: Self.long("k03"))) == below)

        let limited = try f.store.range(RangeRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix), limit: 5))
        #expect(limited.kvs.map(\.key) == Array(withPrefix.prefix(5)))
        #expect(limited.more && limited.count == 24)

        let descending = RangeRequest(key: [0], rangeEnd: [0], sortOrder: .descend, sortTarget: .key)
        #expect(try Self.keys(f, descending) == all.reversed())
        var descendingLimited = descending
        descendingLimited.limit = 3
        #expect(try Self.keys(f, descendingLimited) == Array(all.reversed().prefix(3)))
        let byMod = RangeRequest(key: [0], rangeEnd: [0], sortOrder: .ascend, sortTarget: .mod)
        #expect(try Self.keys(f, byMod) == written)
        let byValue = try Self.keys(f, RangeRequest(key: [0], rangeEnd: [0], sortOrder: .ascend, sortTarget: .value))
        #expect(Set(byValue) == Set(all))

        let counted = try f.store.range(
            RangeRequest(key: prefix, rangeEnd: KeyRange.prefixEnd(prefix), countOnly: true))
        #expect(counted.count == 24 && counted.kvs.isEmpty)
        let keysOnly = try f.store.range(RangeRequest(key: low, rangeEnd: high, keysOnly: true))
        #expect(keysOnly.kvs.map(\.key) == between && keysOnly.kvs.allSatisfy { $0.value.isEmpty })

        // At an earlier revision only the keys written by then, still in key order.
        let early = try Self.keys(f, RangeRequest(key: [0], rangeEnd: [0], revision: revisions[10]))
        #expect(early == Self.sorted(Array(written.prefix(11))))

        // The same after reopening from disk.
        try f.reopen()
        #expect(try Self.keys(f, RangeRequest(key: [0], rangeEnd: [0])) == all)
    }

    @Test("a direct key of the full direct length sorts before the long keys it prefixes")
    func directAgainstLong() throws {
        let f = try StoreFixture()
        let d = Self.direct
        let shorter = Array(d.dropLast())
        let keys = [d + [0], d, shorter, d + [0xff], shorter + [0x71], Self.long("x")]
        for key in keys {
            try f.write { _ = try $0.put(PutRequest(key: key, value: [7])) }
        }
        #expect(try Self.keys(f, RangeRequest(key: [0], rangeEnd: [0])) == Self.sorted(keys))
        #expect(try Self.keys(f, RangeRequest(key: d, rangeEnd: d + [0])) == [d])
        #expect(try Self.keys(f, RangeRequest(key: d + [0], rangeEnd: [0])) == Self.sorted(keys).filter {
            compareBytes($0, d + [0]) >= 0
        })
        #expect(try Self.keys(f, RangeRequest(key: d)) == [d])
        #expect(try Self.keys(f, RangeRequest(key: d + [0])) == [d + [0]])
        #expect(try Self.keys(f, RangeRequest(key: d + [1])).isEmpty)
        #expect(try Self.keys(f, RangeRequest(key: shorter, rangeEnd: d)) == [shorter])
    }

    @Test("put, get, delete, txn and compares on long keys")
    func singleKeyOperations() throws {
        let f = try StoreFixture()
        let a = Self.long("a")
        let b = Self.long("b")
        try f.write { _ = try $0.put(PutRequest(key: a, value: utf8("1"))) }
        let created = f.store.currentRevision
        let put = try f.write { try $0.put(PutRequest(key: a, value: utf8("2"), prevKV: true)) }.result
        #expect(put.prevKV?.key == a && put.prevKV?.value == utf8("1"))
        var kv = try #require(try f.store.range(RangeRequest(key: a)).kvs.first)
        #expect(kv.key == a && kv.value == utf8("2") && kv.version == 2 && kv.createRevision == created)
        #expect(try f.store.range(RangeRequest(key: b)).kvs.isEmpty)

        let txn = TxnRequest(
            compare: [
                Compare(key: a, result: .equal, target: .version(2)),
                Compare(key: b, result: .equal, target: .create(0)),
                Compare(
                    key: Self.direct,
                    rangeEnd: KeyRange.prefixEnd(Self.direct),
                    result: .equal,
                    target: .value(utf8("2"))
                ),
            ],
            success: [
                .put(PutRequest(key: b, value: utf8("3"))),
                .range(RangeRequest(key: Self.direct, rangeEnd: KeyRange.prefixEnd(Self.direct))),
            ]
        )
        let response = try f.txn(txn)
        #expect(response.succeeded)
        guard case .range(let inTxn) = response.responses[1] else {
            Issue.record("expected a range response")
            return
        }
        #expect(inTxn.kvs.map(\.key) == [a, b])
        let failed = try f.txn(TxnRequest(compare: [Compare(key: b, result: .equal, target: .value(utf8("2")))]))
        #expect(!failed.succeeded)
        #expect(throws: MVCCError.duplicateKeyInTxn) {
            try f.txn(TxnRequest(success: [.put(PutRequest(key: a, value: [])), .put(PutRequest(key: a, value: []))]))
        }

        let deleted = try f.write { try $0.deleteRange(DeleteRangeRequest(key: a, prevKV: true)) }.result
        #expect(deleted.deleted == 1 && deleted.prevKVs.map(\.key) == [a])
        #expect(try f.store.range(RangeRequest(key: a)).kvs.isEmpty)
        kv = try #require(try f.store.range(RangeRequest(key: b)).kvs.first)
        #expect(kv.value == utf8("3"))

        // Putting a deleted long key again starts a new life.
        try f.write { _ = try $0.put(PutRequest(key: a, value: utf8("4"))) }
        kv = try #require(try f.store.range(RangeRequest(key: a)).kvs.first)
        #expect(kv.version == 1 && kv.createRevision == f.store.currentRevision)
    }

    @Test("deleting a range over a group deletes its keys in key order")
    func deleteRangeOrder() throws {
        let f = try StoreFixture()
        let (written, _) = try Self.populate(f)
        let low = Self.long("k05")
        let high = Self.long("k12")
        let doomed = Self.sorted(written).filter { compareBytes($0, low) >= 0 && compareBytes($0, high) < 0 }
        let (result, events) = try f.write {
            try $0.deleteRange(DeleteRangeRequest(key: low, rangeEnd: high, prevKV: true))
        }
        #expect(result.deleted == 7 && result.prevKVs.map(\.key) == doomed)
        #expect(events.map(\.kv.key) == doomed && events.allSatisfy { $0.kind == .delete })
        let left = Self.sorted(written).filter { !doomed.contains($0) }
        #expect(try Self.keys(f, RangeRequest(key: [0], rangeEnd: [0])) == left)
    }

    @Test("leases attach, move and revoke long keys, listed and deleted in key order")
    func leases() throws {
        let f = try StoreFixture()
        try f.grant(1)
        try f.grant(2)
        let keys = (0..<6).map { Self.long("l\($0)") }
        let shuffled = keys.sorted { compareBytes(SHA256.digest($0), SHA256.digest($1)) < 0 }
        for key in shuffled + [Self.direct] {
            try f.write { _ = try $0.put(PutRequest(key: key, value: [1], lease: 1)) }
        }
        #expect(try f.store.keys(attachedTo: 1) == [Self.direct] + keys)
        // Moving one key to another lease detaches it from the first.
        try f.write { _ = try $0.put(PutRequest(key: keys[2], value: [2], lease: 2)) }
        #expect(try f.store.keys(attachedTo: 2) == [keys[2]])
        #expect(try f.store.keys(attachedTo: 1) == [Self.direct] + keys.filter { $0 != keys[2] })
        // Deleting one detaches it.
        try f.write { _ = try $0.deleteRange(DeleteRangeRequest(key: keys[0])) }
        let revoked = try f.write { try $0.revokeLease(id: 1) }.events
        let expected = [Self.direct] + keys.filter { $0 != keys[0] && $0 != keys[2] }
        #expect(revoked.map(\.kv.key) == expected)
        #expect(try Self.keys(f, RangeRequest(key: [0], rangeEnd: [0])) == [keys[2]])
        #expect(try f.store.keys(attachedTo: 1).isEmpty)
    }

    @Test("compaction keeps the latest state of long keys and drops their old history")
    func compaction() throws {
        let f = try StoreFixture()
        let a = Self.long("a")
        let b = Self.long("b")
        for i in 0..<3 {
            try f.write { _ = try $0.put(PutRequest(key: a, value: utf8("a\(i)"))) }
            try f.write { _ = try $0.put(PutRequest(key: b, value: utf8("b\(i)"))) }
        }
        let beforeDelete = f.store.currentRevision
        try f.write { _ = try $0.deleteRange(DeleteRangeRequest(key: b)) }
        let deletedAt = f.store.currentRevision
        try f.compact(deletedAt)
        #expect(throws: MVCCError.compacted(requested: beforeDelete, compactedRevision: deletedAt)) {
            try f.store.range(RangeRequest(key: a, revision: beforeDelete))
        }
        let kvs = try f.store.range(RangeRequest(key: Self.direct, rangeEnd: [0])).kvs
        #expect(kvs.map(\.key) == [a] && kvs[0].value == utf8("a2") && kvs[0].version == 3)
        // Only a's last put is left in the index and history; b is gone from both.
        let left = try f.store.environment.read { txn in
            try txn.withCursor(f.store.databases.keyIndex) { cursor in
                var count = 0
                var found = try cursor.first()
                while found {
                    count += 1
                    found = try cursor.next()
                }
                return count
            }
        }
        #expect(left == 1)
        try f.write { _ = try $0.put(PutRequest(key: b, value: utf8("again"))) }
        #expect(try f.store.range(RangeRequest(key: b)).kvs.first?.version == 1)
    }

    @Test("events and prevKV of long keys, filtered by exact range")
    func events() throws {
        let f = try StoreFixture()
        let start = f.store.currentRevision + 1
        let (written, _) = try Self.populate(f)
        try f.write { _ = try $0.put(PutRequest(key: Self.long("k07"), value: utf8("new"))) }
        let low = Self.long("k05")
        let high = Self.long("k12")
        let events = try f.store.events(
            from: start,
            through: f.store.currentRevision,
            range: KeyRange(key: low, rangeEnd: high),
            prevKV: true,
            limitRevisions: 0
        )
        let inRange = written.filter { compareBytes($0, low) >= 0 && compareBytes($0, high) < 0 }
        #expect(events.map(\.kv.key) == inRange + [Self.long("k07")])
        #expect(events.last?.prevKV?.key == Self.long("k07") && events.last?.prevKV?.version == 1)
        #expect(events.dropLast().allSatisfy { $0.prevKV == nil })
    }

    @Test("a watch on a long key or a range of them sees exactly its events")
    func watch() async throws {
        let fixture = try WatchFixture()
        let key = String(decoding: Self.long("w1"), as: UTF8.self)
        let other = String(decoding: Self.long("w2"), as: UTF8.self)
        let single = fixture.hub.watch(range: KeyRange(key: utf8(key)))
        let group = fixture.hub.watch(range: KeyRange(key: Self.long("w"), rangeEnd: Self.long("x")))
        try fixture.put(other, "1")
        try fixture.put(key, "2")
        try fixture.delete(key)
        let mine = try await collect(single, events: 2)
        #expect(mine.map(\.kv.key) == [utf8(key), utf8(key)] && mine.map(\.kind) == [.put, .delete])
        let all = try await collect(group, events: 3)
        #expect(all.map(\.kv.key) == [utf8(other), utf8(key), utf8(key)])
        try await expectNothingMore(single)
        try await expectNothingMore(group)
    }

    @Test("a 100,000-byte key, and the request-size bound")
    func hugeKey() throws {
        let f = try StoreFixture()
        var huge = [UInt8](repeating: UInt8(ascii: "h"), count: 100_000)
        huge[99_999] = UInt8(ascii: "z")
        try f.write { _ = try $0.put(PutRequest(key: huge, value: utf8("v"))) }
        #expect(try f.store.range(RangeRequest(key: huge)).kvs.first?.key == huge)
        #expect(try Self.keys(f, RangeRequest(key: utf8("h"), rangeEnd: utf8("i"))) == [huge])
        var probe = huge
        probe[99_999] = UInt8(ascii: "y")
        #expect(try f.store.range(RangeRequest(key: probe)).kvs.isEmpty)
        #expect(try Self.keys(f, RangeRequest(key: probe, rangeEnd: [0])) == [huge])
        let deleted = try f.write { try $0.deleteRange(DeleteRangeRequest(key: huge)) }.result
        #expect(deleted.deleted == 1)
        let tooLong = [UInt8](repeating: 1, count: MVCCStore.maxKeySize + 1)
        #expect(throws: MVCCError.keyTooLarge(tooLong.count)) {
            try f.write { _ = try $0.put(PutRequest(key: tooLong, value: [])) }
        }
    }
}
