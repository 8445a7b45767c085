import Foundation
import StoreClient
import Testing

extension ClusterTests {
    @Test(
        "--quota-backend-bytes on three members: NOSPACE everywhere; compaction, defrag and disarm resume writes",
        .timeLimit(.minutes(3)))
    func quotaAcrossTheCluster() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        try #require(Etcdctl.isInstalled, "etcdctl not installed")
        let quota = 4 * 1024 * 1024
        let options = ProcessCluster.Options(
            extraArguments: ["--quota-backend-bytes", String(quota), "--unsafe-no-fsync"])
        try await ProcessCluster.with(options: options) { cluster in
            let leader = try await cluster.waitForLeader()
            let value = String(repeating: "v", count: 16 * 1024)

            // Write until the quota refuses a put; every acknowledged key is remembered.
            var acknowledged: [Int] = []
            var refusal: StoreClientError?
            try await cluster.withClient([leader]) { client in
                for index in 0..<2_000 {
                    do {
                        try await client.put(bytes("quota/\(index)"), bytes("\(index)-\(value)"))
                        acknowledged.append(index)
                    } catch let error as StoreClientError {
                        refusal = error
                        break
                    }
                }
            }
            #expect(refusal?.code == .noSpace, "writes stopped with \(String(describing: refusal))")
            #expect(refusal?.message == "etcdserver: mvcc: database space exceeded")
            try #require(acknowledged.count > 10, "acknowledged before the quota: \(acknowledged.count)")

            // The alarm is cluster-wide: every member lists it and reports it in its status.
            let everywhere = await eventually(within: .seconds(10)) {
                for member in cluster.members {
                    let alarms = try await cluster.withClient([member.index]) { client in try await client.alarms() }
                    if !alarms.contains(where: { $0.kind == .noSpace }) { return false }
                }
                return true
            }
            #expect(everywhere, "NOSPACE on every member")
            let statuses = await cluster.statuses()
            for member in cluster.members {
                #expect(statuses[member.index]?.errors.contains("alarm:NOSPACE") == true, "status of \(member.name)")
            }
            let list = try await Etcdctl.run(["alarm", "list"], endpoints: cluster.endpoints)
            #expect(list.output.contains("alarm:NOSPACE"), "\(list)")

            // Puts are refused on every member; reads and deletes work.
            for member in cluster.members {
                let error = await Self.failure(of: cluster, member.index) { client in
                    try await client.put(bytes("quota/refused"), bytes("x"))
                }
                #expect(error?.code == .noSpace, "put on \(member.name): \(String(describing: error))")
                let read = try await cluster.withClient([member.index]) { client in
                    try await client.get(bytes("quota/\(acknowledged[0])"))
                }
                #expect(read?.string == "\(acknowledged[0])-\(value)", "read on \(member.name)")
            }
            let kept = Array(acknowledged.suffix(5))
            let deleted = Array(acknowledged.dropLast(5))
            let revision = try await cluster.withClient([leader]) { client in
                var revision: Int64 = 0
                for index in deleted {
                    revision = try await client.delete(.key(bytes("quota/\(index)"))).header.revision
                }
                return revision
            }

            // Compaction, defragmentation and disarming let writes resume.
            let compaction = try await Etcdctl.run(["compaction", String(revision)], endpoints: cluster.endpoints)
            #expect(compaction.succeeded, "\(compaction)")
            let defrag = try await Etcdctl.run(["defrag", "--cluster"], endpoints: cluster.endpoints)
            #expect(defrag.succeeded, "\(defrag)")
            let disarm = try await Etcdctl.run(["alarm", "disarm"], endpoints: cluster.endpoints)
            #expect(disarm.succeeded, "\(disarm)")
            // At once: the quota is measured again when a put would pass it, not only every half second.
            let resumed = try await Etcdctl.run(
                ["put", "quota/after", "resumed"], endpoints: [cluster.members[leader].endpoint])
            #expect(resumed.succeeded, "writes resume after compaction, defrag and disarm: \(resumed)")
            let alarms = try await cluster.withClient { client in try await client.alarms() }
            #expect(alarms.isEmpty, "\(alarms)")

            // Every member holds exactly the keys kept, and their hashes agree.
            let last = try await cluster.withClient([leader]) { client in
                try await client.get(bytes("quota/after"))?.modRevision ?? 0
            }
            var hashes: [UInt32] = []
            for member in cluster.members {
                hashes.append(try await cluster.hashKV(revision: last, of: member.index).hash)
                let stored = try await cluster.withClient([member.index]) { client in
                    try await client.range(.prefix(bytes("quota/")), options: RangeOptions(serializable: true))
                }
                let keys = Set(stored.kvs.map { String(decoding: $0.key, as: UTF8.self) })
                #expect(keys == Set(kept.map { "quota/\($0)" } + ["quota/after"]), "keys on \(member.name)")
                for kv in stored.kvs where kv.key != bytes("quota/after") {
                    let index = String(decoding: kv.key, as: UTF8.self).dropFirst("quota/".count)
                    #expect(kv.string == "\(index)-\(value)", "value of \(index) on \(member.name)")
                }
            }
            #expect(Set(hashes).count == 1, "HashKV at \(last): \(hashes)")
        }
    }
}
