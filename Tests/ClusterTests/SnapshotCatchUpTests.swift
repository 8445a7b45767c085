import Foundation
import StoreClient
import Testing

extension ClusterTests {
    @Test(
        "a follower stopped while 1,000 keys are written catches up from a snapshot: same hash, every key",
        .timeLimit(.minutes(1)))
    func catchUpBySnapshot() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        // A snapshot every 100 entries and only 50 entries kept behind it: after 1,000 writes the entries the
        // stopped follower lacks are gone from the leader's log, so only a snapshot can bring it back.
        // fsync is off because this test is about catching up, not about durability.
        let options = ProcessCluster.Options(
            snapshotCount: 100,
            extraArguments: ["--experimental-snapshot-catchup-entries", "50", "--unsafe-no-fsync"])
        try await ProcessCluster.with(options: options) { cluster in
            let leader = try await cluster.waitForLeader()
            let follower = (leader + 1) % cluster.members.count
            let others = cluster.members.indices.filter { $0 != follower }
            await cluster.stop(follower)

            let keys = 1_000
            let writers = 8
            let deadline = ContinuousClock.now + .seconds(30)
            let written = try await cluster.withClient(others) { client in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for writer in 0..<writers {
                        group.addTask {
                            var count = 0
                            for index in stride(from: writer, to: keys, by: writers) {
                                let key = "snap/\(index)"
                                if await putUntilAcknowledged(client, key, "value-\(index)", deadline: deadline) {
                                    count += 1
                                }
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            try #require(written == keys, "keys acknowledged before the deadline: \(written)")

            try cluster.start(follower)
            try await cluster.waitUntilServing(follower)
            let complete = await eventually(within: .seconds(20)) {
                try await cluster.withClient([follower]) { client in
                    try await client.range(
                        .prefix(bytes("snap/")), options: RangeOptions(serializable: true, countOnly: true)
                    ).count == Int64(keys)
                }
            }
            #expect(complete, "the restarted follower holds all \(keys) keys")
            #expect(
                cluster.log(follower).contains("installed a snapshot"),
                "the follower caught up from a snapshot, not from the log")

            let stored = try await cluster.withClient([follower]) { client in
                try await client.range(.prefix(bytes("snap/")), options: RangeOptions(serializable: true))
            }
            let values = Dictionary(uniqueKeysWithValues: stored.kvs.map { ($0.key, $0.string) })
            let wrong = (0..<keys).filter { values[bytes("snap/\($0)")] != "value-\($0)" }
            #expect(wrong.isEmpty, "keys missing or wrong on the follower: \(wrong.prefix(20))")

            let revision = try await cluster.withClient(others) { client in
                try await client.range(.key(bytes("snap/")), options: RangeOptions(countOnly: true)).header.revision
            }
            var hashes: [UInt32] = []
            for member in cluster.members {
                hashes.append(try await cluster.hashKV(revision: revision, of: member.index).hash)
            }
            #expect(Set(hashes).count == 1, "HashKV at revision \(revision): \(hashes)")
        }
    }
}
