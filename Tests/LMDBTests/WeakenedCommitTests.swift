import CLMDB
import Foundation
import Testing

@testable import LMDB

@Suite("LMDB commits with weakened durability")
struct WeakenedCommitTests {
    @Test("a commit without the meta page sync is visible at once, survives reopening, and leaves the flags as they were")
    func noMetaSyncCommit() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.child("env")
        do {
            let env = try openEnvironment(path)
            let db = try env.openDatabase("d", flags: .create)
            let before = env.currentFlags
            #expect(before & UInt32(MDB_NOMETASYNC) == 0)
            try env.write(durability: .noMetaSync) { txn in try txn.put(db, key: utf8("a"), value: utf8("1")) }
            #expect(env.currentFlags == before)
            #expect(try env.read { try $0.get(db, utf8("a")) } == utf8("1"))
            try env.write { txn in try txn.put(db, key: utf8("b"), value: utf8("2")) }
            env.close()
        }
        let env = try openEnvironment(path)
        let db = try env.openDatabase("d")
        #expect(try env.read { try $0.get(db, utf8("a")) } == utf8("1"))
        #expect(try env.read { try $0.get(db, utf8("b")) } == utf8("2"))
    }

    @Test("a weakened commit whose body throws leaves nothing behind and the flags as they were")
    func throwingWeakenedCommit() throws {
        struct Boom: Error {}
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        let before = env.currentFlags
        #expect(throws: Boom.self) {
            try env.write(durability: .noSync) { txn throws in
                try txn.put(db, key: utf8("k"), value: utf8("v"))
                throw Boom()
            }
        }
        #expect(env.currentFlags == before)
        #expect(try env.read { try $0.get(db, utf8("k")) } == nil)
    }
}
