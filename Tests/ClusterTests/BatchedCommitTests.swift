import Foundation
import StoreClient
import Testing

extension ClusterTests {
    /// With a batch interval far longer than the test, the only commits of the key space are those that
    /// something waiting asks for; the rest lives in the write-ahead log until a restart applies it again.
    @Test(
        "applied entries held in an open transaction: reads that need them commit it, and SIGKILL of every member loses none",
        .timeLimit(.minutes(2)))
    func batchedCommitReadsAndCrash() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let options = ProcessCluster.Options(extraArguments: ["--backend-batch-interval", "1h"])
        try await ProcessCluster.with(options: options) { cluster in
            _ = try await cluster.waitForLeader()
            try await cluster.withClient([0]) { client in
                for index in 0..<20 { _ = try await client.put(bytes("batched/\(index)"), bytes("first-\(index)")) }
                // The member that answered the puts: its serializable reads wait for their commit.
                let local = try await client.get(bytes("batched/19"), serializable: true)
                #expect(local?.string == "first-19")
            }
            // Every member: a linearizable read waits for the entries its read index covers to be committed.
            for member in cluster.members {
                let read = try await cluster.withClient([member.index]) { client in
                    try await client.range(.prefix(bytes("batched/")))
                }
                #expect(read.kvs.count == 20, "linearizable read on \(member.name)")
            }

            // Writes answered but never committed to the key space, then every member killed at once.
            try await cluster.withClient([0]) { client in
                for index in 0..<20 { _ = try await client.put(bytes("batched/\(index)"), bytes("second-\(index)")) }
            }
            for member in cluster.members { await cluster.kill(member.index) }
            for member in cluster.members { try cluster.start(member.index) }
            for member in cluster.members { try await cluster.waitUntilServing(member.index) }
            _ = try await cluster.waitForLeader()
            for member in cluster.members {
                let read = try await cluster.withClient([member.index]) { client in
                    try await client.range(.prefix(bytes("batched/")))
                }
                let values = Dictionary(uniqueKeysWithValues: read.kvs.map { ($0.key, $0.string) })
                let lost = (0..<20).filter { values[bytes("batched/\($0)")] != "second-\($0)" }
                #expect(lost.isEmpty, "acknowledged writes missing on \(member.name) after SIGKILL: \(lost)")
            }
        }
    }
}

