import Foundation
import Synchronization
import Testing

@testable import MVCC

@Suite("WatchGroup")
struct WatchGroupTests {
    @Test("one consumer gets each watcher's events, live and historical, each once and in order")
    func liveAndHistorical() async throws {
        let fixture = try WatchFixture()
        var early: [Int64] = []
        for i in 0..<10 { early.append(try fixture.put("h/\(i % 2)", "e\(i)")) }
        let group = fixture.hub.makeGroup()
        let onA = group.watch(range: KeyRange(key: utf8("a")))
        let onPrefix = group.watch(range: .prefix("h/"), startRevision: early[3])
        let onB = group.watch(range: KeyRange(key: utf8("b")), prevKV: true)
        var expected: [Int64: [Int64]] = [onPrefix.id: Array(early[3...])]
        let writer = Thread {
            for i in 0..<30 {
                fixture.mustPut(["a", "b", "h/0", "c"][i % 4], "l\(i)")
            }
        }
        writer.start()
        // Every put takes the next revision: a, b, h/0 and c in turn after the early ones.
        let base = early.last! + 1
        for i in 0..<30 {
            let watcher: Watcher? = [onA, onB, onPrefix, nil][i % 4]
            if let watcher { expected[watcher.id, default: []].append(base + Int64(i)) }
        }
        let seen = try await collect(group, until: expected)
        #expect(seen == expected)
    }

    @Test("a watcher of the group that falls behind past a compaction is reported compacted and ends")
    func compactedWhileBehind() async throws {
        let fixture = try WatchFixture()
        let group = fixture.hub.makeGroup()
        let watcher = group.watch(range: KeyRange(key: utf8("c")), bufferLimit: 2)
        var revisions: [Int64] = []
        for i in 0..<10 { revisions.append(try fixture.put("c", "\(i)")) }
        try fixture.compact(revisions[8])
        var batches: [WatchBatch] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while batches.count < 2, ContinuousClock.now < deadline {
            for delivery in try await nextDeliveries(group) ?? [] {
                #expect(delivery.watcherID == watcher.id)
                batches.append(delivery.batch)
            }
        }
        #expect(batches.count == 2)
        guard batches.count == 2 else { return }
        guard case .events(let events) = batches[0] else {
            Issue.record("expected events first")
            return
        }
        #expect(events.map(\.kv.modRevision) == Array(revisions[0...1]))
        #expect(batches[1] == .compacted(compactRevision: revisions[8]))
        #expect(fixture.hub.watcherCount == 0)
    }

    @Test("a slow consumer never blocks the writer, and every watcher still sees every revision once")
    func slowConsumer() async throws {
        let fixture = try WatchFixture()
        let group = fixture.hub.makeGroup()
        let watchers = (0..<5).map { _ in group.watch(range: .prefix("s/"), bufferLimit: 8) }
        let first = fixture.hub.currentRevision + 1
        for i in 0..<500 { try fixture.put("s/\(i % 3)", "\(i)") }
        #expect(fixture.hub.slowWatcherCount == 5)
        let expected = Dictionary(uniqueKeysWithValues: watchers.map { ($0.id, Array(first..<first + 500)) })
        #expect(try await collect(group, until: expected) == expected)
        #expect(fixture.hub.slowWatcherCount == 0)
    }

    @Test("cancelling one watcher leaves the others; closing the group wakes its consumer with nil")
    func cancelAndClose() async throws {
        let fixture = try WatchFixture()
        let group = fixture.hub.makeGroup()
        let gone = group.watch(range: KeyRange(key: utf8("g")))
        let kept = group.watch(range: KeyRange(key: utf8("k")))
        gone.cancel()
        let revision = try fixture.put("g", "1")
        let kept1 = try fixture.put("k", "1")
        #expect(revision < kept1)
        #expect(try await collect(group, until: [kept.id: [kept1]]) == [kept.id: [kept1]])
        let waiting = Task { try await group.next() }
        try await Task.sleep(for: .milliseconds(20))
        group.close()
        #expect(try await waiting.value == nil)
        #expect(fixture.hub.watcherCount == 0)
    }

    @Test("a cancelled consumer loses nothing: the next call gets what arrived meanwhile")
    func consumerCancellation() async throws {
        let fixture = try WatchFixture()
        let group = fixture.hub.makeGroup()
        let watcher = group.watch(range: KeyRange(key: utf8("q")))
        let waiting = Task { try await group.next() }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        let revision = try fixture.put("q", "1")
        #expect(try await collect(group, until: [watcher.id: [revision]]) == [watcher.id: [revision]])
    }
}

/// Reads `group` until every watcher in `expected` has seen as many events as expected there (or 10 s
/// pass), and returns the revisions each saw.
private func collect(_ group: WatchGroup, until expected: [Int64: [Int64]]) async throws -> [Int64: [Int64]] {
    var seen: [Int64: [Int64]] = [:]
    let deadline = ContinuousClock.now + .seconds(10)
    func done() -> Bool { expected.allSatisfy { seen[$0.key, default: []].count >= $0.value.count } }
    while !done(), ContinuousClock.now < deadline {
        let deliveries = try await nextDeliveries(group)
        guard let deliveries else { break }
        for delivery in deliveries {
            guard case .events(let events) = delivery.batch else {
                Issue.record("unexpected \(delivery.batch)")
                continue
            }
            seen[delivery.watcherID, default: []] += events.map(\.kv.modRevision)
        }
    }
    return seen
}

/// `group.next()`, given up (cancelled) after `timeout`.
private func nextDeliveries(
    _ group: WatchGroup, within timeout: Duration = .seconds(10)
) async throws -> [WatchGroup.Delivery]? {
    let next = Task { try await group.next() }
    let timer = Task {
        try await Task.sleep(for: timeout)
        next.cancel()
    }
    defer { timer.cancel() }
    return try await next.value
}
