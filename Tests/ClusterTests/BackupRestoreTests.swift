import Foundation
import Logging
import StoreClient
import Synchronization
import Testing

/// `keelctl`, built beside `keel`.
private enum KeelctlBinary {
    static var path: String {
        URL(fileURLWithPath: KeelBinary.path).deletingLastPathComponent().appendingPathComponent("keelctl").path
    }

    static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: path) }
}

/// How far the background write load has got, and whether it should stop.
private final class LoadProgress: Sendable {
    let written = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}

/// What one run of a command printed.
private struct CommandOutcome: CustomStringConvertible {
    var status: Int32
    var output: String
    var errors: String

    var description: String { "status \(status): \(output)\(errors)" }
}

/// Runs `executable` to completion (killed after 30 s), with its output in files under `directory`.
private func run(
    _ executable: String, _ arguments: [String], in directory: URL, environment: [String: String] = [:]
) async throws -> CommandOutcome {
    let name = UUID().uuidString.prefix(8)
    let process = try ChildProcess.start(
        executable, arguments, environment: environment,
        outputFile: directory.appendingPathComponent("command-\(name).out"),
        errorFile: directory.appendingPathComponent("command-\(name).err"))
    if !(await process.waitForExit(within: .seconds(30))) {
        await process.kill()
        return CommandOutcome(status: -1, output: process.output, errors: process.errors + "\n(timed out)")
    }
    return CommandOutcome(status: process.termination?.status ?? -1, output: process.output, errors: process.errors)
}

private func keelctl(_ arguments: [String], in directory: URL) async throws -> CommandOutcome {
    try await run(KeelctlBinary.path, arguments, in: directory)
}

/// A key with the revisions that identify its state.
private struct KeyState: Hashable, CustomStringConvertible {
    var key: String
    var value: String
    var createRevision: Int64
    var modRevision: Int64
    var version: Int64

    init(_ kv: KeyValue) {
        key = String(decoding: kv.key, as: UTF8.self)
        value = kv.string
        createRevision = kv.createRevision
        modRevision = kv.modRevision
        version = kv.version
    }

    var description: String { "\(key)=\(value)@\(createRevision)/\(modRevision)/v\(version)" }
}

/// Every key of the cluster at `revision` (0: the current one), and the header revision.
private func keys(of cluster: ProcessCluster, at revision: Int64 = 0) async throws -> (keys: [KeyState], revision: Int64) {
    try await cluster.withClient { client in
        let result = try await client.range(.all, options: RangeOptions(revision: revision))
        return (result.kvs.map(KeyState.init), result.header.revision)
    }
}

/// Restores `snapshot` into every member of `cluster` (not yet started) with keelctl, then starts them.
private func restore(
    _ snapshot: URL, into cluster: ProcessCluster, extra: [String] = []
) async throws {
    for member in cluster.members {
        let outcome = try await keelctl(
            [
                "snapshot", "restore", snapshot.path, "--name", member.name,
                "--data-dir", member.dataDirectory.path, "--initial-cluster", cluster.initialCluster,
                "--initial-cluster-token", cluster.token, "--initial-advertise-peer-urls", member.peerURL,
            ] + extra, in: cluster.directory)
        #expect(outcome.status == 0, "restore \(member.name): \(outcome)")
    }
    for index in cluster.members.indices { try cluster.start(index) }
    try await cluster.waitForLeader()
}

/// The revision `snapshot status -w json` reports, with its key count and hash check.
private func status(of snapshot: URL, in directory: URL) async throws -> (revision: Int64, keys: Int, hashCheck: String) {
    let outcome = try await keelctl(["snapshot", "status", snapshot.path, "-w", "json"], in: directory)
    #expect(outcome.status == 0, "\(outcome)")
    let object = try JSONSerialization.jsonObject(with: Data(outcome.output.utf8)) as? [String: Any] ?? [:]
    return (
        (object["revision"] as? NSNumber)?.int64Value ?? -1, (object["totalKey"] as? NSNumber)?.intValue ?? -1,
        object["hashCheck"] as? String ?? ""
    )
}

/// A steady, bounded write load: puts over a small key set (so that keys have several versions) and a delete
/// now and then, until `progress.stop` is set or 3000 writes are done.
private func startLoad(on cluster: ProcessCluster, progress: LoadProgress) -> Task<Void, any Error> {
    Task {
        try await cluster.withClient { client in
            for index in 0..<3000 {
                if progress.stop.load(ordering: .relaxed) { break }
                if index % 13 == 12 {
                    _ = try? await client.delete(.key(bytes("load/\(index % 97)")))
                } else {
                    _ = try? await client.put(bytes("load/\(index % 97)"), bytes("value \(index)"))
                }
                progress.written.add(1, ordering: .relaxed)
            }
        }
    }
}

/// How a watch of the load's keys from `revision` ends: the error it ends with, nil if it delivered events
/// or did not end within 10 s (the client is closed then, which ends it).
private func firstWatchError(on cluster: ProcessCluster, from revision: Int64) async throws -> StoreClientError? {
    let endpoints = cluster.endpoints
    var logger = Logger(label: "keel.backup-restore-test")
    logger.logLevel = .critical
    let client = try StoreClient(endpoints: endpoints, configuration: clusterClientConfiguration, logger: logger)
    let connections = Task { try await client.run() }
    let deadline = Task {
        try await Task.sleep(for: .seconds(10))
        client.close()
    }
    defer {
        deadline.cancel()
        client.close()
        connections.cancel()
    }
    do {
        for try await _ in client.watch(.prefix(bytes("load/")), fromRevision: revision) { return nil }
        return nil
    } catch {
        return error as? StoreClientError
    }
}

@Suite(
    "backup and restore with keelctl", .serialized,
    .enabled(if: KeelBinary.isBuilt && KeelctlBinary.isBuilt, "keel and keelctl must be built"))
struct BackupRestoreTests {
    @Test("save mid-load, restore into a new three-member cluster: same keys, same hashes; bump marks compacted")
    func saveUnderLoadAndRestore() async throws {
        try await ProcessCluster.with(members: 3) { source in
            let leader = try await source.waitForLeader()
            let snapshot = source.directory.appendingPathComponent("backup.db")

            // A steady, bounded write load: puts over a small key set (so keys have several versions) and
            // a delete now and then, until the snapshot is taken or 3000 writes are done.
            let progress = LoadProgress()
            let load = startLoad(on: source, progress: progress)
            #expect(await eventually(within: .seconds(20)) { progress.written.load(ordering: .relaxed) >= 200 })
            let saved = try await keelctl(
                ["snapshot", "save", snapshot.path, "--endpoints", source.members[leader].endpoint],
                in: source.directory)
            let writtenAtSave = progress.written.load(ordering: .relaxed)
            // Keep writing a little after the save, so that the source moves past the snapshot's revision.
            _ = await eventually(within: .seconds(5)) { progress.written.load(ordering: .relaxed) >= writtenAtSave + 50 }
            progress.stop.store(true, ordering: .relaxed)
            try await load.value
            #expect(saved.status == 0, "\(saved)")
            #expect(saved.output == "Snapshot saved at \(snapshot.path)\n")
            #expect(!FileManager.default.fileExists(atPath: snapshot.path + ".part"))

            let (revision, totalKeys, hashCheck) = try await status(of: snapshot, in: source.directory)
            #expect(hashCheck == "ok")
            let (expected, sourceRevision) = try await keys(of: source, at: revision)
            #expect(sourceRevision > revision, "the load went on after the snapshot")
            #expect(totalKeys == expected.count)
            #expect(!expected.isEmpty)
            let sourceHash = try await source.hashKV(revision: revision, of: leader).hash

            // Restore into a new cluster on other ports: each member from the same file.
            let restored = try ProcessCluster(count: 3)
            defer { restored.cleanUp() }
            try await restore(snapshot, into: restored)
            let (restoredKeys, restoredRevision) = try await keys(of: restored)
            #expect(restoredRevision == revision)
            #expect(restoredKeys == expected)
            for index in restored.members.indices {
                let hash = try await restored.hashKV(revision: revision, of: index)
                #expect(hash.hash == sourceHash, "member \(index + 1)'s HashKV at \(revision)")
            }
            // It is a working cluster: a write is replicated and takes the next revision.
            let put = try await restored.withClient { client in try await client.put(bytes("after"), bytes("restore")) }
            #expect(put.header.revision == revision + 1)
            let statuses = await restored.statuses()
            #expect(Set(statuses.compactMap { $0?.header.clusterID }).count == 1)

            // With --bump-revision and --mark-compacted, a watch from before the snapshot revision is told
            // that its revision is compacted, and new writes take revisions the old cluster never handed out.
            let bumped = try ProcessCluster(count: 3)
            defer { bumped.cleanUp() }
            try await restore(snapshot, into: bumped, extra: ["--bump-revision", "1000000", "--mark-compacted=true"])
            let (bumpedKeys, bumpedRevision) = try await keys(of: bumped)
            #expect(bumpedRevision == revision + 1_000_000)
            #expect(bumpedKeys == expected)
            let watchError = try await firstWatchError(on: bumped, from: revision - 1)
            #expect(watchError?.code == .compacted, "\(String(describing: watchError))")
            #expect(watchError?.compactRevision == revision + 1_000_000)
            let bumpedPut = try await bumped.withClient { client in try await client.put(bytes("after"), bytes("bump")) }
            #expect(bumpedPut.header.revision == revision + 1_000_001)
            let hashes = try await (0..<3).asyncMap {
                try await bumped.hashKV(revision: bumpedPut.header.revision, of: $0).hash
            }
            #expect(Set(hashes).count == 1)
        }
    }

    @Test(
        "a file made by the real etcdctl snapshot save restores with keelctl",
        .enabled(if: Etcdctl.isInstalled, "etcdctl is not installed"))
    func etcdctlSnapshotRestores() async throws {
        try await ProcessCluster.with(members: 1) { source in
            try await source.waitForLeader()
            try await source.withClient { client in
                for index in 0..<50 { try await client.put(bytes("etcdctl/\(index % 20)"), bytes("v\(index)")) }
            }
            let snapshot = source.directory.appendingPathComponent("etcdctl.db")
            let saved = try await run(
                Etcdctl.path!, ["--endpoints", source.endpoints[0], "snapshot", "save", snapshot.path],
                in: source.directory, environment: ["ETCDCTL_API": "3"])
            #expect(saved.status == 0, "\(saved)")
            let (revision, _, hashCheck) = try await status(of: snapshot, in: source.directory)
            #expect(hashCheck == "ok")
            let (expected, _) = try await keys(of: source, at: revision)

            let restored = try ProcessCluster(count: 1)
            defer { restored.cleanUp() }
            try await restore(snapshot, into: restored)
            let (restoredKeys, restoredRevision) = try await keys(of: restored)
            #expect(restoredRevision == revision)
            #expect(restoredKeys == expected)
        }
    }

    @Test("restore refuses a damaged file and writes nothing")
    func refusesDamagedFile() async throws {
        try await ProcessCluster.with(members: 1) { source in
            try await source.waitForLeader()
            _ = try await source.withClient { client in try await client.put(bytes("k"), bytes("v")) }
            let snapshot = source.directory.appendingPathComponent("good.db")
            let saved = try await keelctl(
                ["snapshot", "save", snapshot.path, "--endpoints", source.endpoints[0]], in: source.directory)
            #expect(saved.status == 0, "\(saved)")
            var damaged = try Data(contentsOf: snapshot)
            damaged[damaged.count / 3] ^= 0x20
            let damagedFile = source.directory.appendingPathComponent("damaged.db")
            try damaged.write(to: damagedFile)
            let target = source.directory.appendingPathComponent("restored/m1.etcd")
            let refused = try await keelctl(
                ["snapshot", "restore", damagedFile.path, "--data-dir", target.path], in: source.directory)
            #expect(refused.status == 1)
            #expect(refused.errors.contains("Error: snapshot \(damagedFile.path) failed its hash check"), "\(refused)")
            #expect(!FileManager.default.fileExists(atPath: target.deletingLastPathComponent().path))
        }
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
