import Foundation
import LMDB
import Raft
import RaftLog
import Testing

@Suite("Raft log store: the write-ahead log on disk")
struct WriteAheadLogTests {
    /// Small segments, so that a few hundred entries span several files.
    static let segmentSize = 4096

    private func segmentFiles(_ scratch: ScratchDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/wal").filter { $0.hasSuffix(".wal") }
            .sorted()
    }

    private func open(_ scratch: ScratchDirectory) throws -> (Environment, RaftLogStore) {
        let env = try openEnvironment(scratch.path)
        return (env, try RaftLogStore(environment: env, logSegmentSize: Self.segmentSize))
    }

    /// Opens the store in `scratch`, runs `body`, and closes it again, as a member's run between two starts.
    private func withStore(_ scratch: ScratchDirectory, _ body: (RaftLogStore) throws -> Void) throws {
        let (env, store) = try open(scratch)
        defer { env.close() }
        try body(store)
    }

    @Test("entries and hard states survive a reopen across many segments; compaction deletes whole segments")
    func segmentsAndCompaction() throws {
        let scratch = try ScratchDirectory()
        let written = entries(Array(repeating: 1, count: 300) + Array(repeating: 2, count: 300))
        try withStore(scratch) { store in
            for chunk in stride(from: 0, to: written.count, by: 7) {
                let batch = Array(written[chunk..<min(chunk + 7, written.count)])
                try store.save(entries: batch, hardState: HardState(term: batch.last!.term, vote: 1, commit: batch[0].index))
            }
        }
        #expect(try segmentFiles(scratch).count > 3, "the entries span several segments")
        try withStore(scratch) { store in
            #expect(try store.allEntries() == written)
            #expect(store.hardState == HardState(term: 2, vote: 1, commit: 596))
            let before = try segmentFiles(scratch).count
            try store.write { txn in
                try store.createSnapshot(at: 550, confState: ConfState(voters: [1]), data: [], in: txn)
                try store.compact(through: 500, in: txn)
            }
            let after = try segmentFiles(scratch).count
            #expect(after < before, "segments holding only compacted entries are deleted")
            #expect(after >= 1)
        }
        let (env, store) = try open(scratch)
        defer { env.close() }
        #expect(try store.firstIndex() == 501)
        #expect(try store.allEntries() == Array(written[500...]))
        #expect(store.hardState == HardState(term: 2, vote: 1, commit: 596))
    }

    @Test("the compaction point keeps at most so many entries and so many bytes")
    func compactionPoint() throws {
        let scratch = try ScratchDirectory()
        let (env, store) = try open(scratch)
        defer { env.close() }
        // Payloads "1/1" ... "1/9" (3 bytes) and "1/10" ... (4 bytes); byteSize adds 24.
        try store.save(entries: entries(Array(repeating: 1, count: 20)), hardState: nil)
        #expect(store.compactionPoint(keepingBefore: 15, entries: 5, bytes: .max) == 10)
        #expect(store.compactionPoint(keepingBefore: 15, entries: 5, bytes: 3 * 28) == 12, "three entries fit")
        #expect(store.compactionPoint(keepingBefore: 15, entries: 0, bytes: .max) == 15)
        #expect(store.compactionPoint(keepingBefore: 15, entries: 100, bytes: .max) == 0, "not before the start")
    }

    @Test("a record torn at the tail is dropped on reopen and overwritten by the next save")
    func tornTail() throws {
        let scratch = try ScratchDirectory()
        try withStore(scratch) { store in
            try store.save(entries: entries([1, 1, 1]), hardState: HardState(term: 1, vote: 1, commit: 1))
            try store.save(entries: entries([1, 1], from: 4), hardState: HardState(term: 1, vote: 1, commit: 3))
        }
        // Tear the last record: keep its first bytes, replace the rest with what a crash leaves.
        let path = scratch.path + "/wal/" + (try segmentFiles(scratch).last!)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let end = try #require(lastRecordEnd(bytes))
        let hardStateRecord = 8 + 1 + 24
        for offset in (end - hardStateRecord - 30)..<end { bytes[offset] = 0xA5 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try withStore(scratch) { store in
            #expect(try store.lastIndex() == 3, "the torn batch is gone, the one before it is whole")
            #expect(store.hardState == HardState(term: 1, vote: 1, commit: 1))
            try store.save(entries: entries([2], from: 4), hardState: HardState(term: 2, vote: 2, commit: 3))
        }
        let (env, store) = try open(scratch)
        defer { env.close() }
        #expect(try store.allEntries() == entries([1, 1, 1]) + entries([2], from: 4))
        #expect(store.hardState == HardState(term: 2, vote: 2, commit: 3))
    }

    @Test("a segment file left empty by a cut that died before its header is dropped")
    func emptySegmentAfterInterruptedCut() throws {
        let scratch = try ScratchDirectory()
        try withStore(scratch) { store in
            try store.save(entries: entries([1, 1, 1]), hardState: HardState(term: 1, vote: 1, commit: 2))
        }
        let empty = scratch.path + "/wal/" + String(format: "%016llx-%016llx.wal", 2, 4)
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        try withStore(scratch) { store in
            #expect(try store.allEntries() == entries([1, 1, 1]))
            try store.save(entries: entries([2], from: 4), hardState: HardState(term: 2, vote: 1, commit: 3))
        }
        let (env, store) = try open(scratch)
        defer { env.close() }
        #expect(try store.allEntries() == entries([1, 1, 1]) + entries([2], from: 4))
        #expect(store.hardState == HardState(term: 2, vote: 1, commit: 3))
    }

    @Test("a damaged record before the last segment fails the open")
    func corruptionBeforeTheTail() throws {
        let scratch = try ScratchDirectory()
        try withStore(scratch) { store in
            for index in stride(from: 1, through: 400, by: 4) {
                try store.save(entries: entries([1, 1, 1, 1], from: LogIndex(index)), hardState: nil)
            }
        }
        let files = try segmentFiles(scratch)
        #expect(files.count >= 2)
        let path = scratch.path + "/wal/" + files[0]
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[200] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let env = try openEnvironment(scratch.path)
        defer { env.close() }
        #expect(throws: RaftStorageError.self) {
            _ = try RaftLogStore(environment: env, logSegmentSize: Self.segmentSize)
        }
    }

    @Test("segments left behind by an interrupted snapshot install are never replayed")
    func snapshotInstallReplacesTheLog() throws {
        let scratch = try ScratchDirectory()
        let stale = scratch.path + "/stale"
        try withStore(scratch) { store in
            try store.save(entries: entries([1, 1, 2, 2, 2]), hardState: HardState(term: 2, vote: 3, commit: 3))
            try FileManager.default.copyItem(atPath: scratch.path + "/wal", toPath: stale)
            let snapshot = Snapshot(index: 4, term: 3, confState: ConfState(voters: [1, 2]), data: [])
            try store.write { txn in try store.applySnapshot(snapshot, in: txn) }
            #expect(try segmentFiles(scratch).isEmpty)
        }
        // As if the member had died after the transaction committed, before the old segments were deleted.
        for name in try FileManager.default.contentsOfDirectory(atPath: stale) {
            try FileManager.default.copyItem(atPath: stale + "/" + name, toPath: scratch.path + "/wal/" + name)
        }
        try withStore(scratch) { store in
            #expect(try store.firstIndex() == 5)
            #expect(try store.lastIndex() == 4, "nothing of the replaced log comes back")
            #expect(store.hardState == HardState(term: 3, vote: nil, commit: 4))
            try store.save(entries: entries([3], from: 5), hardState: HardState(term: 3, vote: nil, commit: 5))
        }
        let (env, store) = try open(scratch)
        defer { env.close() }
        #expect(try store.allEntries() == entries([3], from: 5))
        #expect(store.hardState == HardState(term: 3, vote: nil, commit: 5))
    }

    @Test("entries stored in LMDB by an older version move to the log when the store opens")
    func entriesInLMDBMoveToTheLog() throws {
        let scratch = try ScratchDirectory()
        let old = entries([1, 1, 2])
        do {
            let env = try openEnvironment(scratch.path)
            let log = try env.openDatabase(RaftLogStore.logDatabaseName, flags: .create)
            try env.write { txn in
                for entry in old {
                    var value = bigEndian(entry.term)
                    value.append(entry.kind.rawValue)
                    value += entry.data
                    try txn.put(log, key: bigEndian(entry.index), value: value)
                }
            }
            env.close()
        }
        do {
            let (env, store) = try open(scratch)
            #expect(try store.allEntries() == old)
            let log = try env.openDatabase(RaftLogStore.logDatabaseName, flags: .create)
            #expect(try env.read { txn in try txn.get(log, bigEndian(1)) } == nil, "LMDB no longer holds them")
            env.close()
        }
        let (env, store) = try open(scratch)
        defer { env.close() }
        #expect(try store.allEntries() == old)
    }

    private func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }

    /// The offset just past the last record of a segment (records are a 4-byte little-endian length, a
    /// checksum, the payload; zeros follow).
    private func lastRecordEnd(_ bytes: [UInt8]) -> Int? {
        var offset = 0
        var end: Int?
        while bytes.count - offset >= 8 {
            let length = (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
            if length == 0 { break }
            offset += 8 + length
            end = offset
        }
        return end
    }
}
