import Foundation
import LMDB
import Testing

@Suite("LMDB environment")
struct EnvironmentTests {
    @Test("opening creates the directory, and committed data survives closing and reopening")
    func committedDataSurvivesReopen() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.child("env")
        do {
            let env = try openEnvironment(path)
            let db = try env.openDatabase("things", flags: .create)
            try env.write { txn in try txn.put(db, key: utf8("k"), value: utf8("v")) }
            env.close()
        }
        let env = try openEnvironment(path)
        let db = try env.openDatabase("things")
        #expect(try env.read { try $0.get(db, utf8("k")) } == utf8("v"))
        #expect(FileManager.default.fileExists(atPath: path + "/data.mdb"))
    }

    @Test("a write transaction whose body throws leaves nothing behind")
    func throwingWriteAborts() throws {
        struct Boom: Error {}
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        #expect(throws: Boom.self) {
            try env.write { txn throws in
                try txn.put(db, key: utf8("k"), value: utf8("v"))
                throw Boom()
            }
        }
        #expect(try env.read { try $0.get(db, utf8("k")) } == nil)
    }

    @Test("opening a missing database without .create fails")
    func missingDatabase() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        #expect(throws: LMDBError.self) { try env.openDatabase("absent") }
    }

    @Test("a full map is reported as .mapFull, and the environment stays usable")
    func mapFull() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path, mapSize: 256 * 1024)
        let db = try env.openDatabase("d", flags: .create)
        let value = [UInt8](repeating: 7, count: 4096)
        #expect(throws: LMDBError.mapFull) {
            try env.write { txn throws in
                for i in 0..<1000 { try txn.put(db, key: utf8("key\(i)"), value: value) }
            }
        }
        try env.write { txn in try txn.put(db, key: utf8("small"), value: utf8("ok")) }
        #expect(try env.read { try $0.get(db, utf8("small")) } == utf8("ok"))
    }

    @Test("empty and oversized keys are reported as .badValueSize")
    func badValueSize() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        #expect(env.maxKeySize == 511)
        #expect(throws: LMDBError.badValueSize) {
            try env.write { txn in try txn.put(db, key: [], value: utf8("v")) }
        }
        #expect(throws: LMDBError.badValueSize) {
            try env.write { txn throws in
                try txn.put(db, key: [UInt8](repeating: 1, count: env.maxKeySize + 1), value: utf8("v"))
            }
        }
    }

    @Test("a read-only environment refuses writes")
    func readOnly() throws {
        let scratch = try ScratchDirectory()
        do {
            let env = try openEnvironment(scratch.path)
            _ = try env.openDatabase("d", flags: .create)
            env.close()
        }
        let env = try openEnvironment(scratch.path, readOnly: true)
        let db = try env.openDatabase("d")
        #expect(throws: LMDBError.self) {
            try env.write { txn in try txn.put(db, key: utf8("k"), value: utf8("v")) }
        }
    }

    @Test("info and statistics describe the file; free pages are counted")
    func infoAndSizes() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.path)
        let db = try env.openDatabase("d", flags: .create)
        try env.write { txn throws in
            for i in 0..<2000 { try txn.put(db, key: utf8("key\(i)"), value: [UInt8](repeating: 1, count: 100)) }
        }
        let info = try env.info()
        #expect(info.mapSize == 1 << 26)
        #expect(info.pageSize > 0)
        #expect(info.lastPageNumber > 10)
        #expect(try env.dataFileSize() >= (info.lastPageNumber + 1) * info.pageSize)
        let stats = try env.read { try $0.statistics(db) }
        #expect(stats.entries == 2000)
        #expect(stats.leafPages > 1)
        try env.write { txn in try txn.empty(db) }
        try env.write { txn in try txn.put(db, key: utf8("x"), value: utf8("y")) }
        #expect(try env.freePageCount() > 0)
        #expect(try env.pagesInUse() < info.lastPageNumber + 1)
        try env.sync(force: true)
    }

    @Test("a compacting copy holds the same data in fewer pages")
    func compactCopy() throws {
        let scratch = try ScratchDirectory()
        let env = try openEnvironment(scratch.child("source"))
        let db = try env.openDatabase("d", flags: .create)
        try env.write { txn throws in
            for i in 0..<3000 { try txn.put(db, key: utf8("key\(i)"), value: [UInt8](repeating: 2, count: 200)) }
        }
        try env.write { txn throws in
            for i in 0..<3000 where i % 10 != 0 { try txn.delete(db, key: utf8("key\(i)")) }
        }
        let target = scratch.child("copy")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try env.copy(toDirectory: target, compact: true)
        let source = try env.dataFileSize()
        let copy = try openEnvironment(target)
        #expect(try copy.dataFileSize() < source)
        let copied = try copy.openDatabase("d")
        #expect(try copy.read { try $0.statistics(copied).entries } == 300)
        #expect(try copy.read { try $0.get(copied, utf8("key10")) } == [UInt8](repeating: 2, count: 200))

        let file = scratch.child("stream.mdb")
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        #expect(fd >= 0)
        try env.copy(toFileDescriptor: fd, compact: false)
        close(fd)
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0 > 0)
    }
}
