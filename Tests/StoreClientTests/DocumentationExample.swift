import StoreClient
import Testing

/// The example in docs/store-client.md, kept here so that it compiles and runs; keep the two identical.
func documentationExample(endpoints: [String]) async throws {
    try await withStoreClient(endpoints: endpoints) { client in
        // Writes go to the leader, reads to whichever endpoint answers.
        let put = try await client.put(Array("config/mode".utf8), Array("fast".utf8))
        if let kv = try await client.get(Array("config/mode".utf8)) {
            print(kv.string, kv.modRevision)
        }

        // Create config/owner only if it does not exist yet.
        let claim = try await client.txn(
            Txn()
                .when(.version(Array("config/owner".utf8), .equal, 0))
                .then(.put(Array("config/owner".utf8), Array("me".utf8)))
                .orElse(.get(Array("config/owner".utf8))))
        print("claimed:", claim.succeeded)

        // A key that lives as long as this process keeps its lease alive.
        let lease = try await client.grant(ttl: 10)
        try await client.put(Array("members/me".utf8), Array("here".utf8), lease: lease.id)
        let keepAlive = client.keepAlive(lease.id)
        defer { keepAlive.cancel() }

        // Every change under config/ since the first put; the stream resumes by itself after failures.
        let changes = client.watch(.prefix(Array("config/".utf8)), fromRevision: put.header.revision)
        watching: for try await batch in changes {
            for event in batch.events {
                print(event.kind, String(decoding: event.kv.key, as: UTF8.self), event.revision)
                if event.revision == claim.header.revision { break watching }
            }
        }
    }
}

@Suite("The documented example")
struct DocumentationExampleTests {
    @Test("runs against a Keel member")
    func example() async throws {
        try await KeelMember.with { member in
            try await documentationExample(endpoints: [member.endpoint])
        }
    }
}
