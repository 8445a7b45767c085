import Foundation
import StoreClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension ClusterTests {
    @Test(
        "the harness on one member: leader, pause and resume, SIGKILL, restart on the same data, cleanup",
        .timeLimit(.minutes(1)))
    func harnessOnOneMember() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        var pids: [Int32] = []
        let directory = try await ProcessCluster.with(members: 1) { cluster in
            #expect(try await cluster.waitForLeader() == 0)
            #expect(await cluster.leaderIndex() == 0)
            let put = try await cluster.withClient { client in try await client.put(bytes("harness"), bytes("one")) }
            let before = try await cluster.hashKV(revision: put.header.revision, of: 0)

            cluster.pause(0)
            let paused = await cluster.statuses()
            #expect(paused.count == 1 && paused[0] == nil, "a paused member does not answer")
            cluster.resume(0)
            try await cluster.waitUntilServing(0)

            pids.append(try #require(cluster.pid(0)))
            await cluster.kill(0)
            #expect(!cluster.isRunning(0))
            try cluster.start(0)
            pids.append(try #require(cluster.pid(0)))
            try await cluster.waitForLeader()
            let after = try await cluster.hashKV(revision: put.header.revision, of: 0)
            #expect(after.hash == before.hash)
            let value = try await cluster.withClient { client in try await client.get(bytes("harness"))?.string }
            #expect(value == "one")

            try await cluster.restart(0)
            pids.append(try #require(cluster.pid(0)))
            try await cluster.waitUntilServing(0)
            return cluster.directory
        }
        #expect(Set(pids).count == 3, "each start is a new process")
        #expect(pids.allSatisfy { kill($0, 0) != 0 }, "no member left running")
        #expect(!FileManager.default.fileExists(atPath: directory.path), "the data is removed")
    }
}
