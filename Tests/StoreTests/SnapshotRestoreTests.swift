import Crypto
import Foundation
import LMDB
import MVCC
import Raft
import RaftLog
import Testing

@testable import Store

/// A scratch directory removed when the test ends.
private final class Scratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-restore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Everything in the scratch directory, hidden entries included.
    func entries() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: path)) }
}

private let peers = [
    "m1": "http://127.0.0.1:31001", "m2": "http://127.0.0.1:31002", "m3": "http://127.0.0.1:31003",
]
private let initialCluster = ["m1", "m2", "m3"].map { InitialMember(name: $0, peerURLs: [peers[$0]!]) }

/// A member of an old cluster with a few keys, a delete, a lease and an alarm-free history; returns the
/// path of a snapshot of it (LMDB copy + SHA-256 trailer, as `Maintenance.Snapshot` streams it) and the
/// revision it holds.
private func makeSnapshot(in scratch: Scratch, trailer: Bool = true) throws -> (path: String, revision: Int64) {
    let directory = scratch.file("source")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let environment = try Environment(path: directory, configuration: EnvironmentConfiguration(maxDatabases: 16))
    defer { environment.close() }
    let mvcc = try MVCCStore(environment: environment)
    let raftLog = try RaftLogStore(environment: environment)
    var old = StoreConfiguration()
    old.name = "old"
    old.peerURLs = ["http://127.0.0.1:39999"]
    old.initialClusterToken = "old-token"
    _ = try StoreMember.restoreOrBootstrap(configuration: old, mvcc: mvcc, raftLog: raftLog)
    for index in 1...20 {
        try mvcc.write(consistentIndex: UInt64(index + 1)) { batch in
            _ = try batch.put(PutRequest(key: Array("key/\(index % 7)".utf8), value: Array("value \(index)".utf8)))
        }
    }
    try mvcc.write(consistentIndex: 30) { batch in
        _ = try batch.deleteRange(DeleteRangeRequest(key: Array("key/3".utf8)))
        try batch.grantLease(id: 77, ttl: 60)
        _ = try batch.put(PutRequest(key: Array("leased".utf8), value: [1], lease: 77))
    }
    try mvcc.write(consistentIndex: 31) { batch in try batch.compact(5) }
    let data = scratch.file("copy.mdb")
    let revision = try mvcc.copy(toFile: data)
    var bytes = try Data(contentsOf: URL(fileURLWithPath: data))
    try FileManager.default.removeItem(atPath: data)
    if trailer { bytes.append(contentsOf: SHA256.hash(data: bytes)) }
    let path = scratch.file(trailer ? "snapshot.db" : "data.mdb")
    try bytes.write(to: URL(fileURLWithPath: path))
    return (path, revision)
}

private func options(_ snapshot: String, _ name: String, into directory: String) -> SnapshotRestore.Options {
    var options = SnapshotRestore.Options(snapshotPath: snapshot)
    options.name = name
    options.initialCluster = initialCluster
    options.initialClusterToken = "restored-token"
    options.peerURLs = [peers[name]!]
    options.dataDirectory = directory
    return options
}

/// Opens a restored data directory as a member would.
private func open(_ directory: String) throws -> (Environment, MVCCStore, RaftLogStore) {
    let environment = try Environment(path: directory, configuration: EnvironmentConfiguration(maxDatabases: 16))
    return (environment, try MVCCStore(environment: environment), try RaftLogStore(environment: environment))
}

private func allKeys(_ mvcc: MVCCStore, at revision: Int64 = 0) throws -> [KeyValue] {
    try mvcc.range(RangeRequest(key: [0], rangeEnd: [0], revision: revision)).kvs
}

@Suite("snapshot restore")
struct SnapshotRestoreTests {
    @Test("a restored member holds the file's key space and the ids a fresh bootstrap derives")
    func restoresKeySpaceAndIdentity() throws {
        let scratch = try Scratch()
        let (snapshot, revision) = try makeSnapshot(in: scratch)
        let sourceKeys: [KeyValue]
        do {
            let (environment, mvcc, _) = try open(scratch.file("source"))
            defer { environment.close() }
            sourceKeys = try allKeys(mvcc)
        }
        let result = try SnapshotRestore(options: options(snapshot, "m2", into: scratch.file("m2.etcd"))).run()
        #expect(result.revision == revision)
        #expect(result.compactedRevision == 5)
        #expect(result.digestCheck == .ok)

        // The ids are exactly those a first start of `keel store` with the same flags writes.
        var fresh = StoreConfiguration()
        fresh.name = "m2"
        fresh.peerURLs = [peers["m2"]!]
        fresh.initialCluster = initialCluster
        fresh.initialClusterToken = "restored-token"
        let bootstrapped = try Scratch()
        let (freshEnvironment, freshMVCC, freshLog) = try open(bootstrapped.path)
        defer { freshEnvironment.close() }
        let expected = try StoreMember.restoreOrBootstrap(configuration: fresh, mvcc: freshMVCC, raftLog: freshLog)
        #expect(result.identity == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("m2.etcd")) == ["data.mdb"])

        let (environment, mvcc, raftLog) = try open(scratch.file("m2.etcd"))
        defer { environment.close() }
        #expect(try allKeys(mvcc) == sourceKeys)
        #expect(mvcc.currentRevision == revision)
        #expect(mvcc.consistentIndex == Snapshot.bootstrapIndex)
        #expect(try mvcc.lease(77) != nil)
        #expect(try mvcc.getMeta(StoreMember.clusterMetaKey) == freshMVCC.getMeta(StoreMember.clusterMetaKey))
        #expect(try mvcc.getMeta(StoreMember.membersMetaKey) == freshMVCC.getMeta(StoreMember.membersMetaKey))
        #expect(raftLog.confState == freshLog.confState)
        #expect(raftLog.hardState == freshLog.hardState)
        #expect(try raftLog.lastIndex() == Snapshot.bootstrapIndex)
        // Starting on it: the identity is read back and the Raft log agrees with the key space.
        #expect(try StoreMember.restoreOrBootstrap(configuration: fresh, mvcc: mvcc, raftLog: raftLog) == expected)
    }

    @Test("every member restored from one file holds the same key space")
    func membersAgree() throws {
        let scratch = try Scratch()
        let (snapshot, _) = try makeSnapshot(in: scratch)
        var hashes: [UInt32] = []
        var clusterIDs: Set<UInt64> = []
        for name in ["m1", "m2", "m3"] {
            var restore = options(snapshot, name, into: scratch.file("\(name).etcd"))
            restore.bumpRevision = 100
            restore.markCompacted = true
            let result = try SnapshotRestore(options: restore).run()
            clusterIDs.insert(result.identity.clusterID)
            let (environment, mvcc, _) = try open(result.dataDirectory)
            defer { environment.close() }
            hashes.append(try mvcc.hashKV(revision: 0).hash)
        }
        #expect(Set(hashes).count == 1)
        #expect(clusterIDs.count == 1)
    }

    @Test("--bump-revision and --mark-compacted raise the revision and compact at it")
    func bumpAndMarkCompacted() throws {
        let scratch = try Scratch()
        let (snapshot, revision) = try makeSnapshot(in: scratch)
        var restore = options(snapshot, "m1", into: scratch.file("m1.etcd"))
        restore.bumpRevision = 1000
        restore.markCompacted = true
        let result = try SnapshotRestore(options: restore).run()
        #expect(result.revision == revision + 1000)
        #expect(result.compactedRevision == revision + 1000)
        let (environment, mvcc, _) = try open(result.dataDirectory)
        defer { environment.close() }
        #expect(mvcc.currentRevision == revision + 1000)
        #expect(mvcc.compactedRevision == revision + 1000)
        // A watcher from before the snapshot revision is told its revision is compacted.
        #expect(throws: MVCCError.compacted(requested: revision - 1, compactedRevision: revision + 1000)) {
            try mvcc.events(from: revision - 1, through: revision + 1000, range: KeyRange(key: [0], rangeEnd: [0]),
                prevKV: false, limitRevisions: 0)
        }
        // The keys are still there, with their own revisions; the next write takes the bumped revision + 1.
        #expect(try allKeys(mvcc).allSatisfy { $0.modRevision <= revision })
        try mvcc.write(consistentIndex: 2) { batch in _ = try batch.put(PutRequest(key: [9], value: [9])) }
        #expect(try mvcc.range(RangeRequest(key: [9])).kvs.first?.modRevision == revision + 1001)
    }

    @Test("--bump-revision without --mark-compacted, and the reverse, are refused")
    func bumpNeedsMarkCompacted() throws {
        let scratch = try Scratch()
        let (snapshot, _) = try makeSnapshot(in: scratch)
        var restore = options(snapshot, "m1", into: scratch.file("m1.etcd"))
        restore.bumpRevision = 10
        #expect(throws: SnapshotError.self) { try SnapshotRestore(options: restore).run() }
        restore.bumpRevision = 0
        restore.markCompacted = true
        #expect(throws: SnapshotError.self) { try SnapshotRestore(options: restore).run() }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("m1.etcd")))
    }

    @Test("a flipped byte, a truncated file, a file that is not a snapshot: refused, nothing written")
    func refusesDamagedFiles() throws {
        let scratch = try Scratch()
        let (snapshot, _) = try makeSnapshot(in: scratch)
        let good = try Data(contentsOf: URL(fileURLWithPath: snapshot))

        var flipped = good
        flipped[flipped.count / 2] ^= 0x01
        try flipped.write(to: URL(fileURLWithPath: scratch.file("flipped.db")))
        // Cut at a page boundary plus 32 bytes, so that the size still looks like one with a trailer.
        try good.prefix(8192 + 32).write(to: URL(fileURLWithPath: scratch.file("cut-like-trailer.db")))
        try good.prefix(good.count - 100).write(to: URL(fileURLWithPath: scratch.file("cut.db")))
        try Data("this is not a snapshot\n".utf8).write(to: URL(fileURLWithPath: scratch.file("text.db")))
        try Data(repeating: 7, count: 4096 * 4 + 32).write(to: URL(fileURLWithPath: scratch.file("noise.db")))
        let before = try scratch.entries()

        func refusal(_ file: String) -> SnapshotError? {
            do {
                _ = try SnapshotRestore(options: options(scratch.file(file), "m1", into: scratch.file("out/m1.etcd")))
                    .run()
                return nil
            } catch {
                return error
            }
        }
        let flippedError = refusal("flipped.db")
        guard case .digestMismatch = flippedError else { Issue.record("flipped: \(String(describing: flippedError))"); return }
        let cutLikeTrailer = refusal("cut-like-trailer.db")
        guard case .truncated = cutLikeTrailer else { Issue.record("cut: \(String(describing: cutLikeTrailer))"); return }
        let cut = refusal("cut.db")
        guard case .truncated = cut else { Issue.record("cut: \(String(describing: cut))"); return }
        let text = refusal("text.db")
        guard case .notLMDB = text else { Issue.record("text: \(String(describing: text))"); return }
        let noise = refusal("noise.db")
        guard case .digestMismatch = noise else { Issue.record("noise: \(String(describing: noise))"); return }
        #expect(refusal("missing.db") == .unreadable(path: scratch.file("missing.db"), reason: "no such file or directory"))
        // Not even the parent directory restore would have created, nor a staging directory, is left.
        #expect(try scratch.entries() == before)

        // The cut file with --skip-hash-check: still refused, by its LMDB header.
        var skipping = options(scratch.file("cut.db"), "m1", into: scratch.file("out/m1.etcd"))
        skipping.skipHashCheck = true
        #expect {
            try SnapshotRestore(options: skipping).run()
        } throws: { error in
            if case .truncated = error as? SnapshotError { return true }
            return false
        }
        #expect(try scratch.entries() == before)
        #expect(flippedError?.description.contains("hash check") == true)
    }

    @Test("an existing data directory, even empty, is refused and left untouched")
    func refusesExistingDataDirectory() throws {
        let scratch = try Scratch()
        let (snapshot, _) = try makeSnapshot(in: scratch)
        try FileManager.default.createDirectory(atPath: scratch.file("m1.etcd"), withIntermediateDirectories: false)
        let before = try scratch.entries()
        #expect(throws: SnapshotError.dataDirectoryExists(path: scratch.file("m1.etcd"))) {
            try SnapshotRestore(options: options(snapshot, "m1", into: scratch.file("m1.etcd"))).run()
        }
        #expect(try scratch.entries() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("m1.etcd")).isEmpty)
    }

    @Test("a raw data.mdb restores only with --skip-hash-check")
    func rawDataFile() throws {
        let scratch = try Scratch()
        let (raw, revision) = try makeSnapshot(in: scratch, trailer: false)
        var restore = options(raw, "m3", into: scratch.file("m3.etcd"))
        #expect {
            try SnapshotRestore(options: restore).run()
        } throws: { error in
            if case .missingDigest = error as? SnapshotError { return true }
            return false
        }
        restore.skipHashCheck = true
        let result = try SnapshotRestore(options: restore).run()
        #expect(result.digestCheck == .absent)
        #expect(result.revision == revision)
    }

    @Test("a name missing from --initial-cluster, or peer URLs that disagree with it, are refused")
    func refusesBadCluster() throws {
        let scratch = try Scratch()
        let (snapshot, _) = try makeSnapshot(in: scratch)
        var restore = options(snapshot, "m1", into: scratch.file("m1.etcd"))
        restore.name = "m9"
        #expect(throws: SnapshotError.invalidOptions(
            "couldn't find local name \"m9\" in the initial cluster configuration")) {
            try SnapshotRestore(options: restore).run()
        }
        restore.name = "m1"
        restore.peerURLs = [peers["m2"]!]
        #expect(throws: SnapshotError.self) { try SnapshotRestore(options: restore).run() }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("m1.etcd")))
    }

    @Test("status: revision, live keys, size, hash check")
    func status() throws {
        let scratch = try Scratch()
        let (snapshot, revision) = try makeSnapshot(in: scratch)
        let status = try SnapshotStatus(reading: SnapshotFile(path: snapshot))
        #expect(status.revision == revision)
        #expect(status.compactedRevision == 5)
        // key/0 ... key/6 less the deleted key/3, plus "leased".
        #expect(status.totalKeys == 7)
        #expect(status.digestCheck == .ok)
        #expect(status.totalSize == (try SnapshotFile(path: snapshot)).size - 32)
        #expect(status.formatVersion == SnapshotFile.formatVersion)
        let (environment, mvcc, _) = try open(scratch.file("source"))
        defer { environment.close() }
        #expect(status.hash == (try mvcc.hash()))
    }
}
