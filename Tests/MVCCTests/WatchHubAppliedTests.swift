import Foundation
import Testing

@testable import MVCC

/// Watchers fed from a transaction that is applied but not yet committed, as a member's Raft loop feeds them.
@Suite("WatchHub before the commit")
struct WatchHubAppliedTests {
    @Test("a live watcher gets applied events before the store can read them")
    func liveWatcherBeforeCommit() async throws {
        let fixture = try WatchFixture()
        let committed = try fixture.put("a", "0")
        let watcher = fixture.hub.watch(range: KeyRange(key: utf8("a")))
        let writer = AppliedWriter(fixture: fixture) { batch, i in
            _ = try batch.put(PutRequest(key: utf8("a"), value: utf8("v\(i)")))
        }
        writer.start(batches: 3)
        await writer.waitApplied()
        let events = try await collect(watcher, events: 3)
        #expect(events.map(\.kv.modRevision) == [committed + 1, committed + 2, committed + 3])
        #expect(fixture.store.currentRevision == committed)
        writer.commit()
        await writer.waitCommitted()
        #expect(fixture.store.currentRevision == committed + 3)
        try await expectNothingMore(watcher)
    }

    @Test("a watcher catching up before the commit reads the store, then the hub's copy: no gap, no duplicate")
    func catchUpThroughUncommitted() async throws {
        let fixture = try WatchFixture()
        var revisions: [Int64] = []
        for i in 0..<20 { revisions.append(try fixture.put("k/\(i % 3)", "c\(i)")) }
        // More applied events than one batch may hold, some of them deletes.
        let applied = 2_500
        let writer = AppliedWriter(fixture: fixture) { batch, i in
            if i % 10 == 9 {
                _ = try batch.deleteRange(DeleteRangeRequest(key: utf8("k/\(i % 3)")))
            } else {
                _ = try batch.put(PutRequest(key: utf8("k/\(i % 3)"), value: utf8("a\(i)")))
            }
        }
        writer.start(batches: applied)
        await writer.waitApplied()

        let plain = fixture.hub.watch(range: .prefix("k/"), startRevision: revisions[5])
        let puts = fixture.hub.watch(range: .prefix("k/"), startRevision: revisions[5], prevKV: true, filter: .noDelete)
        let expectedCount = 15 + applied
        var plainEvents: [Event] = []
        while plainEvents.count < expectedCount {
            guard case .events(let batch)? = try await nextBatch(plain) else { break }
            #expect(batch.count <= WatchHub.maxBatchEvents)
            plainEvents += batch
        }
        // Nothing was committed meanwhile: the last 2,500 revisions came from the hub.
        #expect(fixture.store.currentRevision == revisions[19])
        #expect(plainEvents.map(\.kv.modRevision) == Array(revisions[5]...revisions[19] + Int64(applied)))
        #expect(plainEvents.allSatisfy { $0.prevKV == nil })
        #expect(plainEvents.filter { $0.kind == .delete }.count == applied / 10)

        var putEvents: [Event] = []
        let expectedPuts = 15 + applied - applied / 10
        while putEvents.count < expectedPuts {
            guard case .events(let batch)? = try await nextBatch(puts) else { break }
            putEvents += batch
        }
        #expect(putEvents.count == expectedPuts)
        #expect(putEvents.allSatisfy { $0.kind == .put })
        // Each put carries the key's previous value exactly when the key was live: all three were before r5.
        var live: [[UInt8]: Bool] = [utf8("k/0"): true, utf8("k/1"): true, utf8("k/2"): true]
        var expectedPrevious: [Bool] = []
        for event in plainEvents {
            if event.kind == .put { expectedPrevious.append(live[event.kv.key] == true) }
            live[event.kv.key] = event.kind == .put
        }
        #expect(putEvents.map { $0.prevKV != nil } == expectedPrevious)
        #expect(putEvents.map(\.kv.modRevision) == plainEvents.filter { $0.kind == .put }.map(\.kv.modRevision))

        writer.commit()
        await writer.waitCommitted()
        let next = try fixture.put("k/0", "after")
        #expect(next == revisions[19] + Int64(applied) + 1)
        let last = try await collect(plain, events: 1)
        #expect(last.map(\.kv.modRevision) == [next])
        try await expectNothingMore(plain)
    }

    @Test("a watcher that starts after a commit reads everything from the store")
    func catchUpAfterCommit() async throws {
        let fixture = try WatchFixture()
        let first = try fixture.put("x", "0")
        let writer = AppliedWriter(fixture: fixture) { batch, i in
            _ = try batch.put(PutRequest(key: utf8("x"), value: utf8("v\(i)")))
        }
        writer.start(batches: 5)
        await writer.waitApplied()
        writer.commit()
        await writer.waitCommitted()
        let watcher = fixture.hub.watch(range: KeyRange(key: utf8("x")), startRevision: first)
        let events = try await collect(watcher, events: 6)
        #expect(events.map(\.kv.modRevision) == Array(first...first + 5))
        try await expectNothingMore(watcher)
    }
}

/// Applies batches in one open write transaction on a thread of its own (the transaction must end on the
/// thread that began it), notifying the hub after each batch, and commits when told to.
final class AppliedWriter: @unchecked Sendable {  // reason: the fixture is used by the writer thread only until `waitCommitted`
    private let fixture: WatchFixture
    private let body: (inout MVCCWriteBatch, Int) throws -> Void
    private let applied = DispatchSemaphore(value: 0)
    private let commitNow = DispatchSemaphore(value: 0)
    private let committed = DispatchSemaphore(value: 0)

    init(fixture: WatchFixture, body: @escaping (inout MVCCWriteBatch, Int) throws -> Void) {
        self.fixture = fixture
        self.body = body
    }

    func start(batches: Int) {
        Thread { [self] in
            do {
                let transaction = try fixture.store.beginWrite()
                for i in 0..<batches {
                    fixture.index += 1
                    let events = try transaction.write(consistentIndex: fixture.index) { batch in try body(&batch, i) }
                        .events
                    fixture.hub.notifyApplied(events: events, revision: transaction.currentRevision)
                }
                applied.signal()
                commitNow.wait()
                try transaction.commit()
                fixture.hub.committed(through: fixture.store.currentRevision)
            } catch {
                Issue.record(error)
                applied.signal()
            }
            committed.signal()
        }.start()
    }

    func waitApplied() async { await Self.wait(for: applied) }

    func commit() { commitNow.signal() }

    func waitCommitted() async { await Self.wait(for: committed) }

    private static func wait(for semaphore: DispatchSemaphore) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                semaphore.wait()
                continuation.resume()
            }
        }
    }
}
