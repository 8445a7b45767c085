import StoreClient
import Testing

@Suite("StoreClient failover and maintenance against a Keel member", .serialized)
struct FailoverTests {
    @Test("the first endpoint is a closed port: reads, writes and watches go to the live one")
    func deadFirstEndpoint() async throws {
        let dead = "127.0.0.1:\(try freeLoopbackPort())"
        try await KeelMember.with { member in
            try await withTestClient([dead, member.endpoint]) { client in
                // A write is sent on, because the refused connection proves it never left.
                let put = try await client.put(bytes("where"), bytes("live"))
                #expect(try await client.get(bytes("where"))?.string == "live")
                #expect(try await client.range(.all).count == 1)

                let statuses = await client.status()
                #expect(statuses.count == 2)
                if case .failure(let error) = statuses[0].result {
                    #expect(error.code == .unavailable)
                } else {
                    Issue.record("the closed port answered a status request")
                }
                let live = try statuses[1].result.get()
                #expect(live.isLeader)
                #expect(await client.leaderEndpoint()?.description == member.endpoint)

                var watch = client.watch(.key(bytes("where")), fromRevision: put.header.revision).makeAsyncIterator()
                let batch = try #require(try await watch.next())
                #expect(batch.events.map(\.kv.string) == ["live"])
            }
        }
    }

    @Test("every endpoint dead: the request fails as unavailable, not as an unknown outcome")
    func allDead() async throws {
        let endpoints = ["127.0.0.1:\(try freeLoopbackPort())", "127.0.0.1:\(try freeLoopbackPort())"]
        var configuration = testConfiguration
        configuration.retry = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(20))
        try await withStoreClient(endpoints: endpoints, configuration: configuration, logger: testLogger) { client in
            await expectCode(.unavailable) { try await client.put(bytes("k"), bytes("v")) }
            await expectCode(.unavailable) { _ = try await client.get(bytes("k")) }
        }
    }

    @Test("status, member list, hash and alarms")
    func maintenance() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let put = try await client.put(bytes("x"), bytes("1"))
                let status = try await client.status(of: Endpoint(parsing: member.endpoint))
                #expect(status.isLeader)
                #expect(status.header.revision == put.header.revision)
                let members = try await client.memberList()
                #expect(members.members.count == 1)
                #expect(members.members.first?.id == status.header.memberID)
                let first = try await client.hashKV(revision: put.header.revision)
                try await client.put(bytes("x"), bytes("2"))
                let second = try await client.hashKV(revision: put.header.revision)
                #expect(first.hash == second.hash)
                #expect(try await client.alarms().isEmpty)
            }
        }
    }

    @Test("a closed client refuses requests and ends its watches")
    func closing() async throws {
        try await KeelMember.with { member in
            let client = try StoreClient(
                endpoints: [member.endpoint], configuration: testConfiguration, logger: testLogger)
            let running = Task { try await client.run() }
            try await client.put(bytes("k"), bytes("v"))
            let watch = client.watch(.key(bytes("k")))
            try await Task.sleep(for: .milliseconds(200))
            client.close()
            do {
                for try await _ in watch {}
                Issue.record("the watch ended without an error")
            } catch let error as StoreClientError {
                #expect(error.code == .closed)
            }
            await expectCode(.closed) { try await client.put(bytes("k"), bytes("w")) }
            try await running.value
        }
    }
}

@Suite("StoreClient life cycle")
struct LifecycleTests {
    @Test("a scoped client whose body returns at once closes cleanly")
    func emptyBody() async throws {
        let value = try await withStoreClient(endpoints: ["127.0.0.1:1"], logger: testLogger) { _ in 42 }
        #expect(value == 42)
    }

    @Test("closing before running: run returns at once and requests fail as closed")
    func closeBeforeRun() async throws {
        let client = try StoreClient(endpoints: ["127.0.0.1:1"], logger: testLogger)
        client.close()
        try await client.run()
        await expectCode(.closed) { _ = try await client.get(bytes("k")) }
    }
}
