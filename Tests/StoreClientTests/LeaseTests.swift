import StoreClient
import Testing

@Suite("StoreClient leases against a Keel member", .serialized)
struct LeaseTests {
    @Test("grant, attach, time-to-live with keys, list, renew once, revoke")
    func lifecycle() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let lease = try await client.grant(ttl: 30)
                #expect(lease.ttl == 30)
                try await client.put(bytes("session/a"), bytes("1"), lease: lease.id)
                try await client.put(bytes("session/b"), bytes("2"), lease: lease.id)
                #expect(try await client.get(bytes("session/a"))?.lease == lease.id)

                let status = try #require(try await client.timeToLive(lease.id, keys: true))
                #expect(status.grantedTTL == 30)
                #expect(status.ttl > 0 && status.ttl <= 30)
                #expect(Set(status.keys.map(text)) == ["session/a", "session/b"])
                #expect(try await client.leases().contains(lease.id))

                let renewal = try await client.keepAliveOnce(lease.id)
                #expect(renewal.ttl == 30)

                try await client.revoke(lease.id)
                #expect(try await client.range(.prefix(bytes("session/"))).count == 0)
                #expect(try await client.timeToLive(lease.id) == nil)
                await expectCode(.leaseNotFound) { _ = try await client.keepAliveOnce(lease.id) }
            }
        }
    }

    @Test("keepAlive keeps a 2 s lease alive over 5 s; after cancel it expires")
    func keepAlive() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let lease = try await client.grant(ttl: 2)
                try await client.put(bytes("alive"), bytes("yes"), lease: lease.id)
                let keeper = client.keepAlive(lease.id)
                try await Task.sleep(for: .seconds(5))
                #expect(try await client.get(bytes("alive"))?.string == "yes")
                let remaining = try #require(try await client.timeToLive(lease.id))
                #expect(remaining.ttl > 0)
                #expect(keeper.lastRenewal?.ttl == 2)

                keeper.cancel()
                try await keeper.wait()
                var gone = false
                for _ in 0..<40 where !gone {
                    try await Task.sleep(for: .milliseconds(250))
                    gone = try await client.get(bytes("alive")) == nil
                }
                #expect(gone, "the lease outlived its keep-alive by 10 s")
            }
        }
    }

    @Test("keepAlive survives the member going away and coming back")
    func keepAliveAcrossRestart() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let lease = try await client.grant(ttl: 3)
                try await client.put(bytes("survivor"), bytes("yes"), lease: lease.id)
                let keeper = client.keepAlive(lease.id)
                try await Task.sleep(for: .seconds(1))
                await member.stop()
                try await Task.sleep(for: .milliseconds(500))
                try await member.start()
                // Longer than the TTL: only renewals after the restart keep the key.
                try await Task.sleep(for: .seconds(4))
                #expect(try await client.get(bytes("survivor"))?.string == "yes")
                #expect(try await client.timeToLive(lease.id) != nil)
                keeper.cancel()
                try await keeper.wait()
            }
        }
    }

    @Test("a keep-alive of a lease that does not exist ends with leaseNotFound")
    func keepAliveOfUnknownLease() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let keeper = client.keepAlive(LeaseID(rawValue: 0x1234))
                await expectCode(.leaseNotFound) { try await keeper.wait() }
            }
        }
    }
}
