import Foundation
import StoreClient
import Testing

extension ClusterTests {
    @Test(
        "SIGKILL of the leader under writes: a new leader, no acknowledged write lost, the old leader catches up",
        .timeLimit(.minutes(1)))
    func killLeaderUnderLoad() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        try await ProcessCluster.with { cluster in
            let oldLeader = try await cluster.waitForLeader()
            let survivors = cluster.members.indices.filter { $0 != oldLeader }
            let writes = 300
            let killAfter = 100

            // Sequential puts of distinct keys through a client of all three members; the leader is killed
            // after `killAfter` of them, and every put is tried again (on whichever member answers) until it
            // is acknowledged.
            let deadline = ContinuousClock.now + .seconds(25)
            var acknowledged: [Int] = []
            try await cluster.withClient { client in
                for index in 0..<writes {
                    if index == killAfter { await cluster.kill(oldLeader) }
                    if await putUntilAcknowledged(client, Self.loadKey(index), "value-\(index)", deadline: deadline) {
                        acknowledged.append(index)
                    }
                }
            }
            #expect(acknowledged.count == writes, "writes acknowledged before the deadline")

            let newLeader = try await cluster.waitForLeader(among: survivors)
            #expect(newLeader != oldLeader)

            // Every acknowledged write is on the survivors: linearizably through either, and in each one's
            // own state once it has applied the log.
            let stored = try await cluster.withClient(survivors) { client in
                try await client.range(.prefix(bytes("load/")))
            }
            let values = Dictionary(uniqueKeysWithValues: stored.kvs.map { ($0.key, $0.string) })
            let lost = acknowledged.filter { values[bytes(Self.loadKey($0))] != "value-\($0)" }
            #expect(lost.isEmpty, "acknowledged writes missing: \(lost.prefix(20))")
            for survivor in survivors {
                let complete = await eventually(within: .seconds(5)) {
                    try await cluster.withClient([survivor]) { client in
                        try await client.range(
                            .prefix(bytes("load/")), options: RangeOptions(serializable: true, countOnly: true)
                        ).count >= Int64(acknowledged.count)
                    }
                }
                #expect(complete, "\(cluster.members[survivor].name) holds every acknowledged write")
            }

            // The killed member comes back on its data and catches up: the same hash at the same revision.
            try cluster.start(oldLeader)
            try await cluster.waitUntilServing(oldLeader)
            let revision = try await cluster.withClient(survivors) { client in
                try await client.range(.key(bytes("load/")), options: RangeOptions(countOnly: true)).header.revision
            }
            var hashes: [UInt32] = []
            for member in cluster.members {
                hashes.append(try await cluster.hashKV(revision: revision, of: member.index).hash)
            }
            #expect(Set(hashes).count == 1, "HashKV at revision \(revision): \(hashes)")
            let caughtUp = await eventually(within: .seconds(10)) {
                try await cluster.withClient([oldLeader]) { client in
                    try await client.range(
                        .prefix(bytes("load/")), options: RangeOptions(serializable: true, countOnly: true)
                    ).count == stored.count
                }
            }
            #expect(caughtUp, "the restarted member holds every write")
        }
    }

    @Test(
        "SIGKILL of the leader: its connections drop, and the followers elect a new leader before any election timeout",
        .timeLimit(.minutes(1)))
    func killedLeaderReplacedEarly() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        var options = ProcessCluster.Options()
        options.heartbeatInterval = 100
        // Long enough that, without noticing the dropped connections, no follower could campaign before the
        // check below: each waits at least 5 s after the last heartbeat.
        options.electionTimeout = 5_000
        try await ProcessCluster.with(options: options) { cluster in
            let oldLeader = try await cluster.waitForLeader()
            let survivors = cluster.members.indices.filter { $0 != oldLeader }
            await cluster.kill(oldLeader)
            let killed = ContinuousClock.now
            let newLeader = try await cluster.waitForLeader(among: survivors, timeout: .seconds(4))
            #expect(newLeader != oldLeader)
            #expect(killed.duration(to: .now) < .seconds(4))
            try await cluster.withClient(survivors) { client in
                _ = try await client.put(bytes("after-failover"), bytes("ok"))
            }
        }
    }

    static func loadKey(_ index: Int) -> String {
        "load/" + String(repeating: "0", count: max(0, 4 - String(index).count)) + String(index)
    }
}
