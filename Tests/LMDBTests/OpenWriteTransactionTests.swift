import Foundation
import Synchronization
import Testing

@testable import LMDB

@Suite("LMDB write transactions that stay open across calls")
struct OpenWriteTransactionTests {
    @Test("readers see nothing of an open transaction, then all of it once it commits")
    func invisibleUntilCommit() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        let txn = try env.beginWrite()
        try txn.put(db, key: utf8("a"), value: utf8("1"))
        #expect(try env.read { try $0.get(db, utf8("a")) } == nil)
        try txn.put(db, key: utf8("b"), value: utf8("2"))
        #expect(try txn.get(db, utf8("a")) == utf8("1"))
        try txn.commit(durability: .noMetaSync)
        #expect(try env.read { try $0.get(db, utf8("a")) } == utf8("1"))
        #expect(try env.read { try $0.get(db, utf8("b")) } == utf8("2"))
    }

    @Test("another writer waits while a transaction is open, and goes on once it ends")
    func otherWritersWait() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        let txn = try env.beginWrite()
        try txn.put(db, key: utf8("first"), value: utf8("1"))
        let otherWrote = Atomic<Bool>(false)
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? env.write { other in
                // Runs only after the open transaction committed, so it sees its write.
                let seen = try other.get(db, utf8("first"))
                try other.put(db, key: utf8("second"), value: seen ?? utf8("missing"))
            }
            otherWrote.store(true, ordering: .releasing)
            done.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.2)
        let wroteWhileOpen = otherWrote.load(ordering: .acquiring)
        #expect(!wroteWhileOpen)
        try txn.commit()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(try env.read { try $0.get(db, utf8("second")) } == utf8("1"))
    }

    @Test("an aborted or released transaction keeps nothing and lets the next writer in")
    func abortAndReleaseEndTheTransaction() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        let aborted = try env.beginWrite()
        try aborted.put(db, key: utf8("a"), value: utf8("1"))
        aborted.abort()
        aborted.abort()
        do {
            let released = try env.beginWrite()
            try released.put(db, key: utf8("b"), value: utf8("2"))
        }
        // Both ended, so this does not wait.
        try env.write { try $0.put(db, key: utf8("c"), value: utf8("3")) }
        #expect(try env.read { try $0.get(db, utf8("a")) } == nil)
        #expect(try env.read { try $0.get(db, utf8("b")) } == nil)
        #expect(try env.read { try $0.get(db, utf8("c")) } == utf8("3"))
    }

    @Test("a weakened commit of an open transaction leaves the environment's flags as they were")
    func weakenedCommitRestoresFlags() throws {
        let scratch = try ScratchDirectory()
        let env = try Environment(
            path: scratch.path, configuration: EnvironmentConfiguration(mapSize: 1 << 26, durability: .full))
        let db = try env.openDatabase("d", flags: .create)
        let before = env.currentFlags
        let txn = try env.beginWrite()
        try txn.put(db, key: utf8("a"), value: utf8("1"))
        try txn.commit(durability: .noMetaSync)
        #expect(env.currentFlags == before)
        #expect(try env.read { try $0.get(db, utf8("a")) } == utf8("1"))
    }
}
