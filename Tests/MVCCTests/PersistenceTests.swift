import Foundation
import LMDB
import Testing

@testable import MVCC

@Suite("Persistence")
struct PersistenceTests {
    @Test("revision, compaction, consistent index, keys, history, leases and meta survive reopening")
    func everythingSurvivesReopen() throws {
        let f = try StoreFixture()
        try f.grant(9, ttl: 15)
        try f.put("a", "1", lease: 9)
        try f.put("b", "1")
        try f.put("b", "2")
        try f.delete("a")
        try f.put("a", "again", lease: 9)
        try f.compact(3)
        try f.write { try $0.setMeta("cluster", utf8("c-1")) }
        let before = (
            range: try f.store.range(RangeRequest(key: [0], rangeEnd: [0])),
            events: try f.store.events(from: 3, through: 20, range: .all, prevKV: true, limitRevisions: 0),
            hash: try f.store.hashKV(revision: 0).hash
        )
        let revision = f.store.currentRevision
        let index = f.store.consistentIndex
        try f.reopen()
        #expect(f.store.currentRevision == revision && revision == 6)
        #expect(f.store.compactedRevision == 3)
        #expect(f.store.consistentIndex == index && index == f.appliedIndex)
        #expect(try f.store.range(RangeRequest(key: [0], rangeEnd: [0])) == before.range)
        #expect(try f.store.events(from: 3, through: 20, range: .all, prevKV: true, limitRevisions: 0) == before.events)
        #expect(try f.store.hashKV(revision: 0).hash == before.hash)
        #expect(try f.store.leases() == [LeaseRecord(id: 9, ttl: 15)])
        #expect(try f.store.keys(attachedTo: 9) == [utf8("a")])
        #expect(try f.store.getMeta("cluster") == utf8("c-1"))
        #expect(try f.store.getMeta("missing") == nil)
        #expect(try f.put("c", "1") == 7)
        #expect(try f.get("b", at: 4)?.value == utf8("2"))
    }

    @Test("a batch whose body throws leaves the store, its revision and its index as they were")
    func abortedBatch() throws {
        struct Refused: Error {}
        let f = try StoreFixture()
        try f.put("a", "1")
        #expect(throws: Refused.self) {
            try f.store.write(consistentIndex: 99) { batch in
                _ = try batch.put(PutRequest(key: utf8("a"), value: utf8("2")))
                throw Refused()
            }
        }
        #expect(f.store.currentRevision == 2 && f.store.consistentIndex == 1)
        try f.reopen()
        #expect(try f.get("a")?.value == utf8("1"))
        #expect(f.store.consistentIndex == 1)
    }

    @Test("a failing entry leaves the rest of its batch applied and changes nothing itself")
    func failingEntryInBatch() throws {
        let f = try StoreFixture()
        try f.put("a", "0")
        let (outcomes, events) = try f.write { batch -> [String] in
            var outcomes: [String] = []
            func record(_ body: () throws -> Void) {
                do {
                    try body()
                    outcomes.append("ok")
                } catch let error as MVCCError {
                    outcomes.append(error.message)
                } catch {
                    outcomes.append("\(error)")
                }
            }
            record { _ = try batch.put(PutRequest(key: utf8("b"), value: utf8("1"))) }
            record { _ = try batch.put(PutRequest(key: utf8("c"), value: utf8("1"), lease: 5)) }
            record {
                _ = try batch.txn(
                    TxnRequest(success: [
                        .put(PutRequest(key: utf8("a"), value: utf8("x"))),
                        .put(PutRequest(key: utf8("a"), value: utf8("y"))),
                    ])
                )
            }
            record {
                _ = try batch.txn(
                    TxnRequest(success: [
                        .deleteRange(DeleteRangeRequest(key: utf8("a"))),
                        .put(PutRequest(key: utf8("d"), ignoreValue: true)),
                    ])
                )
            }
            record { try batch.compact(100) }
            record { try batch.revokeLease(id: 5) }
            record { _ = try batch.put(PutRequest(key: utf8("e"), value: utf8("1"))) }
            return outcomes
        }
        #expect(
            outcomes == [
                "ok",
                "etcdserver: requested lease not found",
                "etcdserver: duplicate key given in txn request",
                "etcdserver: key not found",
                "mvcc: required revision is a future revision",
                "etcdserver: requested lease not found",
                "ok",
            ]
        )
        #expect(events.keyStrings == ["b", "e"])
        #expect(events.map(\.kv.modRevision) == [3, 4])
        #expect(try f.get("a")?.value == utf8("0"))
        #expect(try f.store.range(RangeRequest(key: [0], rangeEnd: [0])).kvs.keyStrings == ["a", "b", "e"])
        #expect(f.store.currentRevision == 4)
    }

    @Test("a snapshot copy is one data file holding the same key space, and reports its revision")
    func snapshotCopy() throws {
        let f = try StoreFixture()
        try f.grant(2)
        for i in 0..<50 { try f.put("k\(i % 9)", "v\(i)", lease: i % 2 == 0 ? 2 : 0) }
        try f.compact(20)
        let file = f.directory + "-snapshot.mdb"
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try f.store.copy(toFile: file) == 51)
        #expect(!FileManager.default.fileExists(atPath: file + "-lock"))
        let copy = try MVCCStore(
            environment: Environment(
                path: file,
                configuration: EnvironmentConfiguration(mapSize: 1 << 26, durability: .noSync, usesSubdirectory: false)
            )
        )
        defer {
            copy.environment.close()
            try? FileManager.default.removeItem(atPath: file + "-lock")
        }
        let all = RangeRequest(key: [0], rangeEnd: [0])
        #expect(try copy.range(all) == f.store.range(all))
        #expect(copy.currentRevision == 51 && copy.compactedRevision == 20)
        #expect(try copy.hashKV(revision: 0) == f.store.hashKV(revision: 0))
        #expect(try copy.keys(attachedTo: 2) == f.store.keys(attachedTo: 2))
    }
}
