import LMDB
import Testing

@Suite("LMDB transactions")
struct TransactionTests {
    @Test("a read transaction keeps seeing its snapshot while a writer commits")
    func snapshotIsolation() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        try env.write { try $0.put(db, key: utf8("k"), value: utf8("old")) }
        let reader = try env.beginRead()
        try env.write { try $0.put(db, key: utf8("k"), value: utf8("new")) }
        #expect(try reader.get(db, utf8("k")) == utf8("old"))
        reader.abort()
        #expect(try env.read { try $0.get(db, utf8("k")) } == utf8("new"))
    }

    @Test("a read transaction may be used from another thread (MDB_NOTLS)")
    func readerMovesBetweenThreads() async throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        try env.write { try $0.put(db, key: utf8("k"), value: utf8("v")) }
        let first = try env.beginRead()
        let second = try env.beginRead()
        #expect(try first.get(db, utf8("k")) == utf8("v"))
        await Task.yield()
        #expect(try second.get(db, utf8("k")) == utf8("v"))
        first.abort()
        second.abort()
    }

    @Test("a nested transaction's changes join the parent on success and vanish on failure")
    func nestedTransactions() throws {
        struct Boom: Error {}
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        try env.write { txn throws in
            try txn.put(db, key: utf8("parent"), value: utf8("1"))
            try txn.nested { child throws in
                #expect(try child.get(db, utf8("parent")) == utf8("1"))
                try child.put(db, key: utf8("kept"), value: utf8("2"))
            }
            #expect(throws: Boom.self) {
                try txn.nested { child throws in
                    try child.put(db, key: utf8("dropped"), value: utf8("3"))
                    try child.delete(db, key: utf8("parent"))
                    throw Boom()
                }
            }
            #expect(try txn.get(db, utf8("kept")) == utf8("2"))
            #expect(try txn.get(db, utf8("dropped")) == nil)
            #expect(try txn.get(db, utf8("parent")) == utf8("1"))
        }
        let all = try env.read { txn throws in
            try txn.withCursor(db) { cursor throws in
                var keys: [[UInt8]] = []
                var found = try cursor.first()
                while found {
                    keys.append(try cursor.key())
                    found = try cursor.next()
                }
                return keys
            }
        }
        #expect(all == [utf8("kept"), utf8("parent")])
    }

    @Test("noOverwrite and noDuplicateData puts report an existing entry as false")
    func conditionalPuts() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let plain = try env.openDatabase("plain", flags: .create)
        let dups = try env.openDatabase("dups", flags: [.create, .duplicateSort])
        try env.write { txn throws in
            #expect(try txn.put(plain, key: utf8("k"), value: utf8("1"), flags: .noOverwrite))
            #expect(try !txn.put(plain, key: utf8("k"), value: utf8("2"), flags: .noOverwrite))
            #expect(try txn.get(plain, utf8("k")) == utf8("1"))
            #expect(try txn.put(dups, key: utf8("k"), value: utf8("a"), flags: .noDuplicateData))
            #expect(try !txn.put(dups, key: utf8("k"), value: utf8("a"), flags: .noDuplicateData))
            #expect(try txn.put(plain, key: utf8("z"), value: utf8("1"), flags: .append))
            #expect(try !txn.put(plain, key: utf8("a"), value: utf8("1"), flags: .append))
            #expect(try txn.delete(dups, key: utf8("k"), value: utf8("a")))
            #expect(try !txn.delete(dups, key: utf8("k"), value: utf8("a")))
            #expect(try !txn.delete(plain, key: utf8("missing")))
        }
    }
}
