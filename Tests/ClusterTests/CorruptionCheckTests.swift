import Foundation
import LMDB
import StoreClient
import Testing

extension ClusterTests {
    @Test(
        "--experimental-initial-corrupt-check: a member whose stored value was altered refuses to start",
        .timeLimit(.minutes(2)))
    func initialCorruptionCheckRefusesToStart() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let options = ProcessCluster.Options(extraArguments: ["--experimental-initial-corrupt-check"])
        try await ProcessCluster.with(options: options) { cluster in
            let (follower, _) = try await CorruptionScenario.writeAndAlterFollower(cluster)

            try cluster.start(follower)
            let ended = await eventually(within: .seconds(40)) { !cluster.isRunning(follower) }
            #expect(ended, "the altered member keeps running; log:\n\(cluster.logTail(follower))")
            #expect(
                cluster.log(follower).contains("found data inconsistency with peers"),
                "log:\n\(cluster.logTail(follower))")

            // The two intact members still serve, with their data whole and no alarm.
            let intact = cluster.members.indices.filter { $0 != follower }
            let value = try await cluster.withClient(intact) { client in try await client.get(bytes("corrupt/7")) }
            #expect(value?.string == "value-7")
            let alarms = try await cluster.withClient(intact) { client in try await client.alarms() }
            #expect(alarms.isEmpty)
        }
    }

    @Test(
        "--experimental-corrupt-check-time: the leader raises CORRUPT for an altered follower; writes are refused",
        .timeLimit(.minutes(2)))
    func periodicCorruptionCheckRaisesAlarm() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let options = ProcessCluster.Options(extraArguments: ["--experimental-corrupt-check-time", "1s"])
        try await ProcessCluster.with(options: options) { cluster in
            let (follower, followerID) = try await CorruptionScenario.writeAndAlterFollower(cluster)

            try cluster.start(follower)
            try await cluster.waitUntilServing(follower)
            let raised = await eventually(within: .seconds(30)) {
                let alarms = try await cluster.withClient { client in try await client.alarms() }
                return alarms.contains { $0.kind == .corrupt && $0.memberID == followerID }
            }
            #expect(raised, "no CORRUPT alarm for \(String(followerID, radix: 16))")
            let alarms = try await cluster.withClient { client in try await client.alarms() }
            #expect(alarms.allSatisfy { $0.memberID == followerID }, "only the altered member is named: \(alarms)")

            if Etcdctl.isInstalled {
                let list = try await Etcdctl.run(["alarm", "list"], endpoints: cluster.endpoints)
                #expect(list.output.contains("memberID:\(followerID) alarm:CORRUPT"), "\(list)")
                let put = try await Etcdctl.run(["put", "after", "x"], endpoints: cluster.endpoints)
                #expect(!put.succeeded)
                #expect(put.errors.contains("etcdserver: corrupt cluster"), "\(put)")
            }
            // Every member refuses writes (puts, deletes, compaction) with etcd's error; reads still work.
            for member in cluster.members {
                let error = await Self.failure(of: cluster, member.index) { client in
                    try await client.put(bytes("after"), bytes("x"))
                }
                #expect(error?.code == .corrupt, "put on \(member.name): \(String(describing: error))")
                #expect(error?.message.contains("etcdserver: corrupt cluster") == true)
                let deleteError = await Self.failure(of: cluster, member.index) { client in
                    _ = try await client.delete(.key(bytes("corrupt/1")))
                }
                #expect(deleteError?.code == .corrupt, "delete on \(member.name): \(String(describing: deleteError))")
            }
            let read = try await cluster.withClient { client in try await client.get(bytes("corrupt/3")) }
            #expect(read?.string == "value-3")
            let statusErrors = await cluster.statuses().compactMap { $0?.errors }
            #expect(statusErrors.allSatisfy { $0.contains("alarm:CORRUPT") }, "\(statusErrors)")
        }
    }

    static func failure(
        of cluster: ProcessCluster, _ index: Int, _ body: @Sendable (StoreClient) async throws -> Void
    ) async -> StoreClientError? {
        do {
            try await cluster.withClient([index]) { client in try await body(client) }
            return nil
        } catch let error as StoreClientError {
            return error
        } catch {
            return StoreClientError(code: .other, message: "\(error)")
        }
    }
}

/// Writes keys to a three-member cluster, stops a follower by its PID and changes one byte of a stored value
/// in its LMDB data file, as a disk or a bug could.
enum CorruptionScenario {
    static let keys = 20

    /// Returns the index and member id of the altered (stopped) follower.
    static func writeAndAlterFollower(_ cluster: ProcessCluster) async throws -> (index: Int, id: UInt64) {
        let leader = try await cluster.waitForLeader()
        let follower = (leader + 1) % cluster.members.count
        let followerID = try #require(await cluster.statuses()[follower]?.header.memberID)
        let revision = try await cluster.withClient([leader]) { client in
            var revision: Int64 = 0
            for index in 0..<keys {
                revision = try await client.put(bytes("corrupt/\(index)"), bytes("value-\(index)")).header.revision
            }
            return revision
        }
        var hashes: [UInt32] = []
        for member in cluster.members {
            hashes.append(try await cluster.hashKV(revision: revision, of: member.index).hash)
        }
        try #require(Set(hashes).count == 1, "members agree before the change: \(hashes)")
        await cluster.stop(follower)
        try alterStoredValue(in: cluster.members[follower].dataDirectory.path, value: bytes("value-7"))
        return (follower, followerID)
    }

    /// Replaces the last byte of the history record whose value is `value` (a put record ends with its value).
    static func alterStoredValue(in directory: String, value: [UInt8]) throws {
        let environment = try Environment(
            path: directory,
            configuration: EnvironmentConfiguration(
                mapSize: 2 * 2 * 1024 * 1024 * 1024 + 256 * 1024 * 1024, maxDatabases: 16, maxReaders: 16,
                durability: .full))
        defer { environment.close() }
        let history = try environment.openDatabase("history")
        let altered = try environment.write { txn -> Bool in
            var target: ([UInt8], [UInt8])?
            try txn.withCursor(history) { cursor in
                var found = try cursor.first()
                while found, target == nil {
                    let record = try cursor.value()
                    if record.count >= value.count, Array(record.suffix(value.count)) == value {
                        target = (try cursor.key(), record)
                    }
                    found = try cursor.next()
                }
            }
            guard let (key, original) = target else { return false }
            var record = original
            record[record.count - 1] ^= 0x01
            _ = try txn.put(history, key: key, value: record)
            return true
        }
        try #require(altered, "no history record holds \(String(decoding: value, as: UTF8.self))")
    }
}
