import Foundation
import LMDB
import Testing

@testable import MVCC

@Suite("key-space write transactions holding several batches")
struct WriteTransactionTests {
    @Test("batches see each other, readers see none of them until the commit, then all with the last index")
    func batchesShareOneCommit() throws {
        let f = try StoreFixture()
        let store = f.store
        let startRevision = store.currentRevision
        let transaction = try store.beginWrite()
        let first = try transaction.write(consistentIndex: 7) { try $0.put(PutRequest(key: utf8("a"), value: utf8("1"))) }
        #expect(transaction.consistentIndex == 7)
        let second = try transaction.write(consistentIndex: 8) { batch in
            // The second batch reads what the first wrote.
            let seen = try batch.range(RangeRequest(key: utf8("a")))
            #expect(seen.kvs.first?.value == utf8("1"))
            return try batch.put(PutRequest(key: utf8("b"), value: utf8("2"), prevKV: true))
        }
        #expect(first.events.count == 1 && second.events.count == 1)
        #expect(first.events.first?.kv.modRevision == startRevision + 1)
        #expect(second.events.first?.kv.modRevision == startRevision + 2)
        #expect(transaction.currentRevision == startRevision + 2)
        // Not visible yet, to readers on this thread or any other.
        #expect(try store.range(RangeRequest(key: utf8("a"))).kvs.isEmpty)
        #expect(store.currentRevision == startRevision)
        let seenElsewhere = try DispatchQueue.global().sync { try store.range(RangeRequest(key: utf8("b"))).kvs.count }
        #expect(seenElsewhere == 0)
        try transaction.commit(durability: .noMetaSync)
        #expect(!transaction.isOpen)
        #expect(store.currentRevision == startRevision + 2)
        #expect(store.consistentIndex == 8)
        #expect(try store.range(RangeRequest(key: utf8("a"))).kvs.first?.value == utf8("1"))
        #expect(try store.range(RangeRequest(key: utf8("b"))).kvs.first?.value == utf8("2"))
    }

    @Test("a batch that throws ends the transaction and keeps none of its batches")
    func throwingBatchAbortsAll() throws {
        struct Boom: Error {}
        let f = try StoreFixture()
        let store = f.store
        let before = store.currentRevision
        let transaction = try store.beginWrite()
        _ = try transaction.write(consistentIndex: 3) { try $0.put(PutRequest(key: utf8("kept?"), value: utf8("no"))) }
        #expect(throws: Boom.self) {
            try transaction.write(consistentIndex: 4) { batch in
                _ = try batch.put(PutRequest(key: utf8("x"), value: utf8("y")))
                throw Boom()
            }
        }
        #expect(!transaction.isOpen)
        #expect(store.currentRevision == before)
        #expect(try store.range(RangeRequest(key: utf8("kept?"))).kvs.isEmpty)
        // The writer lock was given back: another write goes through.
        try store.write(consistentIndex: 5) { try $0.put(PutRequest(key: utf8("after"), value: utf8("1"))) }
        #expect(store.consistentIndex == 5)
        #expect(try store.range(RangeRequest(key: utf8("after"))).kvs.count == 1)
    }

    @Test("an open transaction dropped without a commit keeps nothing, also after reopening")
    func droppedTransactionKeepsNothing() throws {
        let f = try StoreFixture()
        do {
            let transaction = try f.store.beginWrite()
            _ = try transaction.write(consistentIndex: 9) { try $0.put(PutRequest(key: utf8("lost"), value: utf8("1"))) }
        }
        try f.reopen()
        #expect(try f.store.range(RangeRequest(key: utf8("lost"))).kvs.isEmpty)
        #expect(f.store.consistentIndex == 0)
    }
}

@Suite("entries applied without a nested transaction")
struct InPlaceEntryTests {
    @Test("a put or txn that fails a check changes nothing and the batch goes on")
    func failedCheckChangesNothing() throws {
        let f = try StoreFixture()
        let before = f.store.currentRevision
        let outcome = try f.store.write(consistentIndex: 1) { batch -> [Bool] in
            var failed: [Bool] = []
            do {
                _ = try batch.put(PutRequest(key: utf8("leased"), value: utf8("v"), lease: 12345))
                failed.append(false)
            } catch MVCCError.leaseNotFound {
                failed.append(true)
            }
            let duplicate = TxnRequest(success: [
                .put(PutRequest(key: utf8("twice"), value: utf8("1"))), .put(PutRequest(key: utf8("twice"), value: utf8("2"))),
            ])
            do {
                _ = try batch.txn(duplicate)
                failed.append(false)
            } catch MVCCError.duplicateKeyInTxn {
                failed.append(true)
            }
            _ = try batch.put(PutRequest(key: utf8("after"), value: utf8("ok")))
            return failed
        }
        #expect(outcome.result == [true, true])
        #expect(outcome.events.map(\.kv.key) == [utf8("after")])
        #expect(f.store.currentRevision == before + 1)
        #expect(try f.store.range(RangeRequest(key: utf8("leased"))).kvs.isEmpty)
        #expect(try f.store.range(RangeRequest(key: utf8("twice"))).kvs.isEmpty)
    }

    @Test("a put cut short by the storage leaves the batch refusing to go on, and nothing of it is kept")
    func storageFailureStopsTheBatch() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mvcc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let environment = try Environment(
            path: scratch, configuration: EnvironmentConfiguration(mapSize: 1 << 20, durability: .noSync))
        let store = try MVCCStore(environment: environment)
        defer { environment.close() }
        try store.write(consistentIndex: 1) { try $0.put(PutRequest(key: utf8("kept"), value: utf8("1"))) }
        let transaction = try store.beginWrite()
        #expect(throws: MVCCError.self) {
            try transaction.write(consistentIndex: 2) { batch in
                _ = try batch.put(PutRequest(key: utf8("small"), value: utf8("2")))
                do {
                    _ = try batch.put(PutRequest(key: utf8("huge"), value: [UInt8](repeating: 7, count: 2 << 20)))
                } catch MVCCError.storage {
                    // Swallowed on purpose: the batch itself must refuse to go on.
                }
                _ = try batch.put(PutRequest(key: utf8("later"), value: utf8("3")))
            }
        }
        #expect(!transaction.isOpen)
        #expect(store.consistentIndex == 1)
        #expect(try store.range(RangeRequest(key: utf8("small"))).kvs.isEmpty)
        #expect(try store.range(RangeRequest(key: utf8("kept"))).kvs.count == 1)
    }
}
