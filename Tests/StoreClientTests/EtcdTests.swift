import StoreClient
import Testing

@Suite("StoreClient against a real etcd 3.4 process", .serialized)
struct EtcdTests {
    @Test(
        "key-value, transactions, leases, watch and maintenance work as against Keel",
        .enabled(if: EtcdProcess.isInstalled, "etcd is not installed (apt-get install -y etcd-server)"),
        .timeLimit(.minutes(1))
    )
    func basics() async throws {
        try await EtcdProcess.with { etcd in
            let dead = "127.0.0.1:\(try freeLoopbackPort())"
            try await withTestClient([dead, etcd.endpoint]) { client in
                let first = try await client.put(bytes("e/a"), bytes("1"))
                try await client.put(bytes("e/b"), bytes("2"))
                #expect(try await client.get(bytes("e/a"))?.string == "1")
                #expect(try await client.range(.prefix(bytes("e/"))).count == 2)

                let txn = try await client.txn(
                    Txn().when(.value(bytes("e/a"), .equal, bytes("1"))).then(.put(bytes("e/a"), bytes("one")))
                        .orElse(.get(bytes("e/a"))))
                #expect(txn.succeeded)

                let lease = try await client.grant(ttl: 10)
                try await client.put(bytes("e/leased"), bytes("x"), lease: lease.id)
                let status = try #require(try await client.timeToLive(lease.id, keys: true))
                #expect(status.keys.map(text) == ["e/leased"])
                #expect(try await client.keepAliveOnce(lease.id).ttl == 10)
                #expect(try await client.leases() == [lease.id])
                try await client.revoke(lease.id)
                #expect(try await client.get(bytes("e/leased")) == nil)
                await expectCode(.leaseNotFound) { try await client.revoke(lease.id) }

                var watch = client.watch(.prefix(bytes("e/")), fromRevision: first.header.revision).makeAsyncIterator()
                var revisions: [Int64] = []
                while revisions.count < 5, let batch = try await watch.next() {
                    revisions += batch.events.map(\.revision)
                }
                #expect(revisions == Array(first.header.revision..<first.header.revision + 5))

                let latest = try await client.put(bytes("e/c"), bytes("3")).header.revision
                try await client.compact(latest - 1)
                await expectCode(.compacted) { _ = try await client.get(bytes("e/a"), revision: latest - 2) }
                await expectCode(.futureRevision) { _ = try await client.get(bytes("e/a"), revision: latest + 10) }

                let endpointStatus = try await client.status(of: Endpoint(parsing: etcd.endpoint))
                #expect(endpointStatus.isLeader)
                #expect(endpointStatus.version.hasPrefix("3.4"))
                #expect(await client.leaderEndpoint()?.description == etcd.endpoint)
                #expect(try await client.memberList().members.count == 1)
                _ = try await client.hashKV(revision: latest)
                #expect(try await client.alarms().isEmpty)
            }
        }
    }

    @Test(
        "keepAlive keeps a short etcd lease alive",
        .enabled(if: EtcdProcess.isInstalled, "etcd is not installed (apt-get install -y etcd-server)"),
        .timeLimit(.minutes(1))
    )
    func keepAlive() async throws {
        try await EtcdProcess.with { etcd in
            try await withTestClient([etcd.endpoint]) { client in
                let lease = try await client.grant(ttl: 2)
                try await client.put(bytes("alive"), bytes("yes"), lease: lease.id)
                let keeper = client.keepAlive(lease.id)
                try await Task.sleep(for: .seconds(5))
                #expect(try await client.get(bytes("alive"))?.string == "yes")
                keeper.cancel()
                try await keeper.wait()
            }
        }
    }
}
