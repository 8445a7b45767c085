import LMDB
import Testing

@Suite("LMDB cursors")
struct CursorTests {
    /// keys a (1, 2, 3), b (5), c (7, 8) in a duplicate-sorted database.
    private func fixture() throws -> (ScratchDirectory, Environment, Database) {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: [.create, .duplicateSort])
        try env.write { txn throws in
            for (key, values) in [("a", [3, 1, 2]), ("b", [5]), ("c", [8, 7])] {
                for v in values { try txn.put(db, key: utf8(key), value: [UInt8(v)]) }
            }
        }
        return (scratch, env, db)
    }

    @Test("duplicates come back sorted, and next/previous walk every pair")
    func walkPairs() throws {
        let (_, env, db) = try fixture()
        try env.read { txn throws in
            try txn.withCursor(db) { cursor throws in
                var forward: [String] = []
                var found = try cursor.first()
                while found {
                    forward.append("\(String(decoding: try cursor.key(), as: UTF8.self))\(try cursor.value()[0])")
                    found = try cursor.next()
                }
                #expect(forward == ["a1", "a2", "a3", "b5", "c7", "c8"])
                var backward: [UInt8] = []
                found = try cursor.last()
                while found {
                    backward.append(try cursor.value()[0])
                    found = try cursor.previous()
                }
                #expect(backward == [8, 7, 5, 3, 2, 1])
            }
        }
    }

    @Test("key-wise moves: seek, next key, previous key, first and last duplicate, duplicate count")
    func keyMoves() throws {
        let (_, env, db) = try fixture()
        try env.read { txn throws in
            try txn.withCursor(db) { cursor throws in
                #expect(try cursor.seek(atLeast: utf8("aa")))
                #expect(try cursor.key() == utf8("b"))
                #expect(try cursor.seek(to: utf8("a")))
                #expect(try cursor.duplicateCount() == 3)
                #expect(try cursor.lastDuplicate())
                #expect(try cursor.value() == [3])
                #expect(try cursor.firstDuplicate())
                #expect(try cursor.value() == [1])
                #expect(try cursor.nextDuplicate())
                #expect(try cursor.value() == [2])
                #expect(try cursor.nextKey())
                #expect(try cursor.key() == utf8("b"))
                #expect(try !cursor.nextDuplicate())
                #expect(try cursor.key() == utf8("b"))
                #expect(try cursor.nextKey())
                #expect(try !cursor.nextKey())
                #expect(try cursor.previousKey())
                #expect(try cursor.key() == utf8("b"))
                #expect(try !cursor.seek(to: utf8("bb")))
                #expect(try !cursor.seek(atLeast: utf8("d")))
            }
        }
    }

    @Test("get-both-range finds the first duplicate >= a value, also on a key with a single value")
    func getBothRange() throws {
        let (_, env, db) = try fixture()
        try env.read { txn throws in
            try txn.withCursor(db) { cursor throws in
                #expect(try cursor.seek(to: utf8("a"), valueAtLeast: [2]))
                #expect(try cursor.value() == [2])
                #expect(try cursor.key() == utf8("a"))
                #expect(try cursor.previousDuplicate())
                #expect(try cursor.value() == [1])
                #expect(try !cursor.previousDuplicate())
                // A failed move keeps the position: the next key is still b.
                #expect(try cursor.value() == [1])
                #expect(try cursor.nextKey())
                #expect(try cursor.key() == utf8("b"))
                #expect(try !cursor.seek(to: utf8("a"), valueAtLeast: [4]))
                #expect(try cursor.seek(to: utf8("b"), valueAtLeast: [4]))
                #expect(try cursor.value() == [5])
                #expect(try !cursor.previousDuplicate())
                #expect(try cursor.key() == utf8("b"))
                #expect(try cursor.nextKey())
                #expect(try cursor.key() == utf8("c"))
                #expect(try !cursor.seek(to: utf8("b"), valueAtLeast: [6]))
                #expect(try cursor.seek(to: utf8("c"), value: [8]))
                #expect(try !cursor.seek(to: utf8("c"), value: [9]))
            }
        }
    }

    @Test("cursor put positions on the new pair; delete current removes one pair or all of a key's")
    func cursorWrites() throws {
        let (_, env, db) = try fixture()
        try env.write { txn throws in
            try txn.withCursor(db) { cursor throws in
                #expect(try cursor.put(key: utf8("b"), value: [6]))
                #expect(try cursor.key() == utf8("b"))
                #expect(try cursor.value() == [6])
                #expect(try !cursor.put(key: utf8("b"), value: [6], flags: .noDuplicateData))
                #expect(try cursor.seek(to: utf8("a"), value: [2]))
                try cursor.deleteCurrent()
                #expect(try cursor.value() == [3])
                #expect(try cursor.seek(to: utf8("c")))
                try cursor.deleteCurrent(allDuplicates: true)
            }
        }
        let remaining = try env.read { txn throws in
            try txn.withCursor(db) { cursor throws in
                var pairs: [String] = []
                var found = try cursor.first()
                while found {
                    pairs.append("\(String(decoding: try cursor.key(), as: UTF8.self))\(try cursor.value()[0])")
                    found = try cursor.next()
                }
                return pairs
            }
        }
        #expect(remaining == ["a1", "a3", "b5", "b6"])
    }

    @Test("withCurrent lends the bytes without copying, and re-reads them after a write")
    func withCurrentAfterWrites() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        try env.write { txn throws in
            for i in 0..<500 { try txn.put(db, key: utf8(String(format: "k%04d", i)), value: utf8("v\(i)")) }
            try txn.withCursor(db) { cursor throws in
                #expect(try cursor.seek(to: utf8("k0250")))
                // Writes split pages under the cursor; its cached position must not be trusted afterwards.
                for i in 0..<500 { try txn.put(db, key: utf8(String(format: "k0249x%04d", i)), value: utf8("n")) }
                let (key, value) = try cursor.withCurrent { k, v in ([UInt8](k), [UInt8](v)) }
                #expect(key == utf8("k0250"))
                #expect(value == utf8("v250"))
            }
        }
    }
}
