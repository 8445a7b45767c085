import StoreClient
import Synchronization
import Testing

@Suite("StoreClient watches against a Keel member", .serialized)
struct WatchTests {
    @Test("events of a prefix from a revision, with previous values and filters")
    func events() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let start = try await client.put(bytes("w/a"), bytes("1")).header.revision
                try await client.put(bytes("w/a"), bytes("2"))
                try await client.put(bytes("other"), bytes("x"))
                try await client.delete(.key(bytes("w/a")))

                var all = client.watch(.prefix(bytes("w/")), fromRevision: start, prevKV: true).makeAsyncIterator()
                var events: [Event] = []
                while events.count < 3, let batch = try await all.next() { events += batch.events }
                #expect(events.map(\.kind) == [.put, .put, .delete])
                #expect(events.map(\.revision) == [start, start + 1, start + 3])
                #expect(events[1].previous?.string == "1")
                #expect(events[2].previous?.string == "2")

                var deletes = client.watch(.prefix(bytes("w/")), fromRevision: start, filters: .noPut)
                    .makeAsyncIterator()
                let batch = try #require(try await deletes.next())
                #expect(batch.events.map(\.kind) == [.delete])
            }
        }
    }

    @Test("a watch from a compacted revision ends with the compact revision")
    func compacted() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let start = try await client.put(bytes("c"), bytes("0")).header.revision
                for index in 1...4 { try await client.put(bytes("c"), bytes("\(index)")) }
                try await client.compact(start + 3)
                do {
                    for try await _ in client.watch(.key(bytes("c")), fromRevision: start) {}
                    Issue.record("the watch ended without an error")
                } catch let error as StoreClientError {
                    #expect(error.code == .compacted)
                    #expect(error.compactRevision == start + 3)
                }
            }
        }
    }

    @Test("the member stops mid-watch and restarts on the same data: no revision lost or repeated")
    func resumeAcrossRestart() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let start = try await client.put(bytes("r/0"), bytes("0")).header.revision
                let seen = Mutex<[Int64]>([])
                let watching = Task {
                    for try await batch in client.watch(.prefix(bytes("r/")), fromRevision: start) {
                        seen.withLock { $0 += batch.events.map(\.revision) }
                    }
                }
                defer { watching.cancel() }

                var last = start
                for index in 1...20 {
                    last = try await client.put(bytes("r/\(index)"), bytes("\(index)")).header.revision
                }
                try await waitUntil { seen.withLock { $0.last ?? 0 } >= last }

                await member.stop()
                await expectCode(.unavailable) { try await client.put(bytes("r/down"), bytes("refused")) }
                try await Task.sleep(for: .milliseconds(300))
                try await member.start()

                for index in 21...40 { last = try await putRetrying(client, bytes("r/\(index)"), bytes("\(index)")) }
                try await waitUntil { seen.withLock { $0.last ?? 0 } >= last }
                try await Task.sleep(for: .milliseconds(200))
                let revisions = seen.withLock { $0 }
                #expect(revisions == Array(start...last), "gap or duplicate in \(revisions)")
                #expect(try await client.range(.prefix(bytes("r/"))).count == 41)
            }
        }
    }
}

/// Puts once the member is back; a put refused because the connection could not be made is retried, one
/// whose outcome is unknown is not (it would show as an extra revision, which the test would accept).
func putRetrying(_ client: StoreClient, _ key: [UInt8], _ value: [UInt8]) async throws -> Int64 {
    for _ in 0..<50 {
        let failure: StoreClientError
        do {
            return try await client.put(key, value).header.revision
        } catch {
            failure = error
        }
        guard failure.code == .unavailable else { throw failure }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw StoreClientError(code: .unavailable, message: "the member did not come back")
}

func waitUntil(limit: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(limit)")
            return
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
