import EtcdAPI
import Foundation
import MVCC
import Store
import Synchronization
import Testing

/// A member answers a put before the LMDB transaction holding it commits; what is read from that member
/// afterwards must still show the put.
@Suite("read your writes")
struct ReadYourWritesTests {
    @Test(
        "a serializable read after a write's answer sees the write, on the member that answered",
        .timeLimit(.minutes(1)), arguments: [Duration.milliseconds(10), .seconds(3600)])
    func serializableReadSeesAnsweredWrite(batchInterval: Duration) async throws {
        // An interval longer than the test: only the reader's request makes the transaction commit.
        try await TestMember.with(configure: { $0.store.backendBatchInterval = batchInterval }) { _, server in
            let member = server.member
            for round in 0..<300 {
                let key = Array("key-\(round % 7)".utf8)
                let value = Array("value-\(round)".utf8)
                let result = try await member.propose(.put(PutRequest(key: key, value: value)))
                let visible = await finishes(within: .seconds(20)) { await member.awaitAnsweredWrites() }
                #expect(visible, "round \(round): the answered write did not become visible")
                if !visible { return }
                let read = try member.mvcc.rangeWithRevision(RangeRequest(key: key, serializable: true))
                #expect(read.revision >= result.revision, "round \(round)")
                #expect(read.response.kvs.first?.value == value, "round \(round)")
                if read.response.kvs.first?.value != value { return }
            }
        }
    }

    @Test(
        "with a batch interval longer than the test, a watcher gets a put's event at once",
        .timeLimit(.minutes(1)))
    func watcherDoesNotWaitForTheInterval() async throws {
        try await TestMember.with(configure: { $0.store.backendBatchInterval = .seconds(3600) }) { client, server in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            let watch = Etcdserverpb_Watch.Client(wrapping: client)
            let rounds = 5
            // Per event: whether readers of the store could not see its revision yet when it arrived.
            let beforeCommit = Mutex<[Bool]>([])
            let delivered = await finishes(within: .seconds(20)) {
                let done = AsyncStream<Void>.makeStream()
                _ = try? await watch.watch(
                    requestProducer: { writer in
                        var create = Etcdserverpb_WatchRequest()
                        var createRequest = Etcdserverpb_WatchCreateRequest()
                        createRequest.key = Data("watched".utf8)
                        create.requestUnion = .createRequest(createRequest)
                        try await writer.write(create)
                        // The stream stays open until the events have arrived.
                        for await _ in done.stream {}
                    },
                    onResponse: { response in
                        func put(_ round: Int) async throws {
                            var put = Etcdserverpb_PutRequest()
                            put.key = Data("watched".utf8)
                            put.value = Data("event \(round)".utf8)
                            _ = try await kv.put(put)
                        }
                        for try await message in response.messages {
                            // Put only once the watcher exists, and each time after the last event arrived.
                            if message.created { try await put(1) }
                            guard let event = message.events.last else { continue }
                            let readable = server.member.mvcc.currentRevision
                            let count = beforeCommit.withLock { seen in
                                seen.append(readable < event.kv.modRevision)
                                return seen.count
                            }
                            if count == rounds { break }
                            try await put(count + 1)
                        }
                        done.continuation.finish()
                    })
            }
            #expect(delivered, "the events waited for the batch interval")
            // Watchers are fed as puts are applied, before the commit. Something else may make the member
            // commit now and then (its start-up's own entries), but not before every one of the events.
            let seen = beforeCommit.withLock { $0 }
            #expect(seen.count == rounds)
            #expect(seen.contains(true), "every event waited for the commit")
        }
    }

    @Test("through the etcd API: a serializable range and the status after a put show the put")
    func serializableRangeOverTheWire() async throws {
        try await TestMember.with { client, _ in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            let maintenance = Etcdserverpb_Maintenance.Client(wrapping: client)
            for round in 0..<200 {
                var put = Etcdserverpb_PutRequest()
                put.key = Data("wire-\(round % 5)".utf8)
                put.value = Data("value-\(round)".utf8)
                let written = try await kv.put(put)
                var range = Etcdserverpb_RangeRequest()
                range.key = put.key
                range.serializable = true
                let read = try await kv.range(range)
                #expect(read.kvs.first?.value == put.value, "round \(round)")
                #expect(read.header.revision >= written.header.revision, "round \(round)")
                let status = try await maintenance.status(Etcdserverpb_StatusRequest())
                #expect(status.header.revision >= written.header.revision, "round \(round)")
                if read.kvs.first?.value != put.value { return }
            }
        }
    }
}

/// Whether `body` finishes within `limit`. A body still running then is left behind, so that a wait that
/// never ends fails the test instead of hanging it.
func finishes(within limit: Duration, _ body: @escaping @Sendable () async -> Void) async -> Bool {
    let resumed = Mutex(false)
    return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        let resumeOnce: @Sendable (Bool) -> Void = { value in
            let first = resumed.withLock { done in
                defer { done = true }
                return !done
            }
            if first { continuation.resume(returning: value) }
        }
        Task {
            await body()
            resumeOnce(true)
        }
        Task {
            try? await Task.sleep(for: limit)
            resumeOnce(false)
        }
    }
}
