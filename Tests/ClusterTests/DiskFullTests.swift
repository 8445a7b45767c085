import Foundation
import StoreClient
import Testing

extension ClusterTests {
    @Test(
        "a member whose disk fills stops cleanly, loses nothing, and catches up once space is freed",
        .enabled(if: TmpfsMount.isPermitted, "mounting a tmpfs is not permitted here (needs root)"),
        .timeLimit(.minutes(3)))
    func diskFull() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        // The quota (64 MiB) is far above the disk (1.5 MiB), so the disk, not the quota, is what runs out.
        let options = ProcessCluster.Options(extraArguments: ["--quota-backend-bytes", String(64 * 1024 * 1024)])
        let cluster = try ProcessCluster(count: 3, options: options)
        let full = 2
        let mount = try TmpfsMount(at: cluster.members[full].dataDirectory, kilobytes: 1536)
        defer {
            cluster.cleanUp()
            mount.unmount()
            if ProcessInfo.processInfo.environment["KEEL_KEEP_CLUSTER_DATA"] == nil {
                try? FileManager.default.removeItem(at: cluster.directory)
            }
        }
        do {
            for index in cluster.members.indices { try cluster.start(index) }
            try await diskFullScenario(cluster, full: full, mount: mount)
        } catch {
            for member in cluster.members {
                print("--- \(member.name) (\(member.endpoint)) log tail ---\n\(cluster.logTail(member.index))")
            }
            throw error
        }
    }

    private func diskFullScenario(_ cluster: ProcessCluster, full: Int, mount: TmpfsMount) async throws {
        try await cluster.waitForLeader()
        let others = cluster.members.indices.filter { $0 != full }
        let value = String(repeating: "d", count: 4 * 1024)

        // Write through the two members with room until the third has stopped, then 50 more writes.
        var acknowledged: [Int] = []
        var afterStop = 0
        let deadline = ContinuousClock.now + .seconds(90)
        try await cluster.withClient(others) { client in
            for index in 0..<3_000 where afterStop < 50 && ContinuousClock.now < deadline {
                if await putUntilAcknowledged(client, "full/\(index)", "\(index)-\(value)", deadline: deadline) {
                    acknowledged.append(index)
                }
                if !cluster.isRunning(full) { afterStop += 1 }
            }
        }
        #expect(!cluster.isRunning(full), "the member on the full disk is still running")
        #expect(afterStop == 50, "writes after the stop: \(afterStop)")
        let log = cluster.log(full)
        #expect(log.contains("no space left on device; stopping the member"), "log:\n\(cluster.logTail(full))")
        #expect(log.contains("term="), "the stop is logged with the term")
        #expect(!log.contains("Fatal error"), "a clean stop, not a crash")

        // With room again, the member restarts on its data and catches up with everything acknowledged.
        try mount.resize(kilobytes: 64 * 1024)
        try cluster.start(full)
        try await cluster.waitUntilServing(full)
        let revision = try await cluster.withClient(others) { client in
            try await client.range(.key(bytes("full/")), options: RangeOptions(countOnly: true)).header.revision
        }
        var hashes: [UInt32] = []
        for member in cluster.members {
            hashes.append(try await cluster.hashKV(revision: revision, of: member.index, timeout: .seconds(30)).hash)
        }
        #expect(Set(hashes).count == 1, "HashKV at \(revision): \(hashes)")
        let stored = try await cluster.withClient([full]) { client in
            try await client.range(.prefix(bytes("full/")), options: RangeOptions(serializable: true))
        }
        let values = Dictionary(uniqueKeysWithValues: stored.kvs.map { ($0.key, $0.string) })
        let lost = acknowledged.filter { values[bytes("full/\($0)")] != "\($0)-\(value)" }
        #expect(lost.isEmpty, "acknowledged keys missing or wrong on the restarted member: \(lost.prefix(20))")
    }
}

/// A small tmpfs mounted over a directory, so that a member's disk can be filled; unmounted by `unmount()`.
struct TmpfsMount: Sendable {
    let directory: URL

    /// Whether this process may mount a tmpfs (tried once on a scratch directory).
    static let isPermitted: Bool = {
        let probe = FileManager.default.temporaryDirectory
            .appendingPathComponent("keel-tmpfs-probe-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)) != nil,
            let mount = try? TmpfsMount(at: probe, kilobytes: 64)
        else { return false }
        mount.unmount()
        try? FileManager.default.removeItem(at: probe)
        return true
    }()

    struct Failure: Error, CustomStringConvertible {
        var command: [String]
        var status: Int32
        var description: String { "\(command.joined(separator: " ")) exited with \(status)" }
    }

    init(at directory: URL, kilobytes: Int) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Self.run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", directory.path])
        self.directory = directory
    }

    func resize(kilobytes: Int) throws {
        try Self.run(["/bin/mount", "-o", "remount,size=\(kilobytes)k", directory.path])
    }

    func unmount() {
        try? Self.run(["/bin/umount", directory.path])
    }

    private static func run(_ command: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(command: command, status: process.terminationStatus) }
    }
}
