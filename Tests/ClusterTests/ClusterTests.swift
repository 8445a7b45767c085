import Foundation
import StoreClient
import Testing

/// Real `keel store` processes forming one Raft group on 127.0.0.1. One cluster at a time: several would
/// compete for the CPU and make elections slow for reasons that are not the store's.
@Suite("Keel store processes as one cluster", .serialized)
struct ClusterTests {
    @Test(
        "three members elect exactly one leader; a write through m1 is read on all three; member list names them",
        .timeLimit(.minutes(1)))
    func electionAndReplication() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        try await ProcessCluster.with { cluster in
            let leader = try await cluster.waitForLeader()
            let statuses = await cluster.statuses().compactMap { $0 }
            try #require(statuses.count == 3)
            #expect(statuses.filter(\.isLeader).count == 1)
            #expect(statuses.indices.filter { statuses[$0].isLeader } == [leader])
            #expect(Set(statuses.map(\.leader)) == [statuses[leader].header.memberID])
            #expect(Set(statuses.map(\.header.memberID)).count == 3)
            #expect(Set(statuses.map(\.header.clusterID)).count == 1)

            let put = try await cluster.withClient([0]) { client in
                try await client.put(bytes("greeting"), bytes("hello"))
            }
            for member in cluster.members {
                let linearizable = try await cluster.withClient([member.index]) { client in
                    try await client.get(bytes("greeting"))
                }
                #expect(linearizable?.string == "hello", "linearizable read on \(member.name)")
                #expect(linearizable?.modRevision == put.header.revision, "revision on \(member.name)")
                // A follower applies the entry a moment after the leader has acknowledged it.
                let serializable = await eventually(within: .seconds(5)) {
                    try await cluster.withClient([member.index]) { client in
                        try await client.get(bytes("greeting"), serializable: true)?.string == "hello"
                    }
                }
                #expect(serializable, "serializable read on \(member.name)")
            }

            let expected = Set(
                cluster.members.map {
                    ListedMember(name: $0.name, peerURLs: [$0.peerURL], clientURLs: [$0.clientURL])
                })
            let list = try await cluster.waitForPublishedMembers()
            #expect(
                Set(list.map { ListedMember(name: $0.name, peerURLs: $0.peerURLs, clientURLs: $0.clientURLs) })
                    == expected)
            try #require(Etcdctl.isInstalled, "etcdctl is not installed")
            let outcome = try await Etcdctl.run(["member", "list", "-w", "json"], endpoints: cluster.endpoints)
            #expect(outcome.succeeded, "\(outcome)")
            #expect(try ListedMember.parse(memberListJSON: outcome.output) == expected, "\(outcome)")
        }
    }
}
