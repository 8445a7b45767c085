import Foundation
import LMDB
import Synchronization
import Testing

@testable import MVCC

@Suite("WatchHub")
struct WatchHubTests {
    @Test("a watch from now sees only later events on its key")
    func watchFromNow() async throws {
        let fixture = try WatchFixture()
        try fixture.put("a", "0")
        let watcher = fixture.hub.watch(range: KeyRange(key: utf8("a")))
        try fixture.put("b", "1")
        let revision = try fixture.put("a", "2")
        try fixture.delete("a")
        let events = try await collect(watcher, events: 2)
        #expect(events.map(\.kind) == [.put, .delete])
        #expect(events[0].kv.modRevision == revision && events[0].kv.value == utf8("2"))
        #expect(events[1].kv.modRevision == revision + 1 && events[1].kv.key == utf8("a"))
        #expect(events.allSatisfy { $0.prevKV == nil })
        try await expectNothingMore(watcher)
    }

    @Test("a historical watch replays history, then continues live with no gap and no duplicate")
    func historicalThenLive() async throws {
        let fixture = try WatchFixture()
        var revisions: [Int64] = []
        for i in 0..<20 { revisions.append(try fixture.put("k/\(i % 3)", "v\(i)")) }
        let watcher = fixture.hub.watch(range: .prefix("k/"), startRevision: revisions[5])
        #expect(watcher.progressRevision == nil)
        #expect(fixture.hub.slowWatcherCount == 1)
        // Every put takes the next revision, so the expected revisions are contiguous.
        let writer = Thread {
            for i in 20..<60 { fixture.mustPut("k/\(i % 3)", "v\(i)") }
        }
        writer.start()
        let events = try await collect(watcher, events: 55)
        #expect(events.map(\.kv.modRevision) == Array(revisions[5]...revisions[5] + 54))
        #expect(events.map(\.kv.value) == (5..<60).map { utf8("v\($0)") })
        try await expectNothingMore(watcher)
        #expect(watcher.progressRevision == fixture.hub.currentRevision)
    }

    @Test("single-key, prefix, range, from-key and all-keys watchers each see exactly their keys")
    func rangeMatching() async throws {
        let fixture = try WatchFixture()
        let ranges: [(KeyRange, Set<String>)] = [
            (KeyRange(key: utf8("b")), ["b"]),
            (.prefix("b"), ["b", "b/1", "b/2"]),
            (KeyRange(key: utf8("a"), rangeEnd: utf8("b/1")), ["a", "a/x", "b"]),
            (KeyRange(key: utf8("b/2"), rangeEnd: [0]), ["b/2", "c", "d"]),
            (KeyRange(key: [0], rangeEnd: [0]), ["a", "a/x", "b", "b/1", "b/2", "c", "d"]),
            (KeyRange(key: utf8("zz")), []),
        ]
        let watchers = ranges.map { fixture.hub.watch(range: $0.0) }
        for key in ["a", "a/x", "b", "b/1", "b/2", "c", "d"] { try fixture.put(key, key) }
        for (watcher, (_, keys)) in zip(watchers, ranges) {
            let events = try await collect(watcher, events: keys.count)
            #expect(Set(events.map { String(decoding: $0.kv.key, as: UTF8.self) }) == keys)
            try await expectNothingMore(watcher)
        }
    }

    @Test("noPut and noDelete filters apply to live and historical events")
    func filters() async throws {
        let fixture = try WatchFixture()
        let start = try fixture.put("f", "1")
        try fixture.delete("f")
        try fixture.put("f", "2")
        let historicalNoPut = fixture.hub.watch(range: .prefix("f"), startRevision: start, filter: .noPut)
        let historicalNoDelete = fixture.hub.watch(range: .prefix("f"), startRevision: start, filter: .noDelete)
        let liveNoPut = fixture.hub.watch(range: .prefix("f"), filter: .noPut)
        let liveNoDelete = fixture.hub.watch(range: .prefix("f"), filter: .noDelete)
        try fixture.delete("f")
        try fixture.put("f", "3")
        #expect(try await collect(historicalNoPut, events: 2).map(\.kind) == [.delete, .delete])
        #expect(try await collect(historicalNoDelete, events: 3).map(\.kv.value) == ["1", "2", "3"].map(utf8))
        #expect(try await collect(liveNoPut, events: 1).map(\.kind) == [.delete])
        #expect(try await collect(liveNoDelete, events: 1).map(\.kv.value) == [utf8("3")])
        for watcher in [historicalNoPut, historicalNoDelete, liveNoPut, liveNoDelete] {
            try await expectNothingMore(watcher)
        }
    }

    @Test("prevKV is delivered only to watchers that ask for it, live and historical")
    func previousKeyValue() async throws {
        let fixture = try WatchFixture()
        let first = try fixture.put("p", "old")
        let historical = fixture.hub.watch(range: KeyRange(key: utf8("p")), startRevision: first, prevKV: true)
        let live = fixture.hub.watch(range: KeyRange(key: utf8("p")), prevKV: true)
        let plain = fixture.hub.watch(range: KeyRange(key: utf8("p")))
        try fixture.put("p", "new")
        try fixture.delete("p")

        let liveEvents = try await collect(live, events: 2)
        #expect(liveEvents[0].prevKV?.value == utf8("old"))
        #expect(liveEvents[0].prevKV?.modRevision == first)
        #expect(liveEvents[1].prevKV?.value == utf8("new"))
        let historicalEvents = try await collect(historical, events: 3)
        #expect(historicalEvents[0].prevKV == nil)
        #expect(historicalEvents[1].prevKV?.value == utf8("old"))
        #expect(historicalEvents[2].prevKV?.value == utf8("new"))
        #expect(try await collect(plain, events: 2).allSatisfy { $0.prevKV == nil })
    }

    @Test("a watch below the compacted revision reports it and ends; one at it is served")
    func compaction() async throws {
        let fixture = try WatchFixture()
        var revisions: [Int64] = []
        for i in 0..<10 { revisions.append(try fixture.put("c", "\(i)")) }
        try fixture.compact(revisions[6])
        let count = fixture.hub.watcherCount
        let watcher = fixture.hub.watch(range: KeyRange(key: utf8("c")), startRevision: revisions[2])
        #expect(try await nextBatch(watcher) == .compacted(compactRevision: revisions[6]))
        #expect(try await nextBatch(watcher) == nil)
        #expect(fixture.hub.watcherCount == count)

        // From the compaction revision itself, as etcd, history is still there.
        let at = fixture.hub.watch(range: KeyRange(key: utf8("c")), startRevision: revisions[6])
        #expect(try await collect(at, events: 4).map(\.kv.modRevision) == Array(revisions[6...]))
    }

    @Test("a watcher that fell behind past a compaction is reported compacted")
    func compactionWhileBehind() async throws {
        let fixture = try WatchFixture()
        let watcher = fixture.hub.watch(range: KeyRange(key: utf8("c")), bufferLimit: 2)
        var revisions: [Int64] = []
        for i in 0..<10 { revisions.append(try fixture.put("c", "\(i)")) }
        try fixture.compact(revisions[8])
        // The first two revisions were queued before the overflow; then history from the third is gone.
        #expect(try await collect(watcher, events: 2).map(\.kv.modRevision) == Array(revisions[0...1]))
        #expect(try await nextBatch(watcher) == .compacted(compactRevision: revisions[8]))
        #expect(try await nextBatch(watcher) == nil)
    }

    @Test("a slow watcher with a tiny buffer never blocks the writer and sees every revision exactly once")
    func slowConsumerOverflow() async throws {
        let fixture = try WatchFixture()
        let watcher = fixture.hub.watch(range: .prefix("s/"), bufferLimit: 10)
        let first = fixture.hub.currentRevision + 1
        // Nobody reads while the first half is written: notify must not wait for the consumer.
        for i in 0..<2500 { try fixture.put("s/\(i % 7)", "\(i)") }
        #expect(fixture.hub.slowWatcherCount == 1)
        let writer = Thread {
            for i in 2500..<4990 { fixture.mustPut("s/\(i % 7)", "\(i)") }
            // Twelve puts (a revision each) and a delete of all twelve (one revision of twelve events, more
            // than the buffer holds): that revision must still come out whole.
            for _ in 0..<10 {
                fixture.mustWrite { batch in
                    for key in 0..<12 { _ = try batch.put(PutRequest(key: utf8("s/m\(key)"), value: [1])) }
                    _ = try batch.deleteRange(DeleteRangeRequest(key: utf8("s/m"), rangeEnd: utf8("s/n")))
                }
            }
        }
        writer.start()

        var expected = Array(first..<first + 4990)
        for round in 0..<10 {
            let base = first + 4990 + Int64(13 * round)
            expected += Array(base..<base + 12) + Array(repeating: base + 12, count: 12)
        }
        var seen: [Int64] = []
        var batches = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while seen.count < expected.count, ContinuousClock.now < deadline {
            guard case .events(let events) = try await nextBatch(watcher) else {
                Issue.record("the watch ended")
                break
            }
            batches += 1
            if batches % 20 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            // A batch never starts in the middle of a revision.
            #expect(events[0].kv.modRevision != seen.last)
            seen += events.map(\.kv.modRevision)
        }
        #expect(seen == expected)
        #expect(fixture.hub.slowWatcherCount == 0)
        try await expectNothingMore(watcher)
    }

    @Test("a thousand single-key watchers each get exactly their own events")
    func manyWatchers() async throws {
        let fixture = try WatchFixture()
        let watchers = (0..<1000).map { fixture.hub.watch(range: KeyRange(key: utf8("m/\($0)"))) }
        let prefixWatcher = fixture.hub.watch(range: .prefix("m/"))
        #expect(fixture.hub.watcherCount == 1001)
        // Ten commits of a hundred revisions each; every key written twice overall.
        for round in 0..<2 {
            for chunk in 0..<10 {
                try fixture.write { batch in
                    for i in chunk * 100..<(chunk + 1) * 100 {
                        _ = try batch.put(PutRequest(key: utf8("m/\(i)"), value: utf8("\(round)")))
                    }
                }
            }
        }
        for (i, watcher) in watchers.enumerated() {
            let events = try await collect(watcher, events: 2)
            #expect(events.allSatisfy { $0.kv.key == utf8("m/\(i)") })
            #expect(events.map(\.kv.value) == [utf8("0"), utf8("1")])
        }
        #expect(try await collect(prefixWatcher, events: 2000).count == 2000)
        for watcher in watchers.prefix(20) { try await expectNothingMore(watcher) }
        for watcher in watchers { watcher.cancel() }
        #expect(fixture.hub.watcherCount == 1)
    }

    @Test("notify costs little when there are many watchers on other keys")
    func notifyIndexesSingleKeys() throws {
        let fixture = try WatchFixture()
        let watchers = (0..<10_000).map { fixture.hub.watch(range: KeyRange(key: utf8("n/\($0)"))) }
        let events = (0..<1000).map { i in
            Event(kind: .put, kv: KeyValue(key: utf8("other/\(i)"), createRevision: 5, modRevision: 5, version: 1,
                value: [], lease: 0), prevKV: nil)
        }
        let started = ContinuousClock.now
        for _ in 0..<100 { fixture.hub.notify(events: events, revision: fixture.hub.currentRevision) }
        // 100,000 events against 10,000 watchers: a scan of all watchers per event would take minutes.
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(watchers.allSatisfy { $0.progressRevision != nil })
    }

    @Test("random watchers, buffers and consumer speeds all agree with the history", arguments: [7, 1234])
    func randomizedAgainstHistory(seed: Int) async throws {
        var random = SplitMix64(seed: UInt64(seed))
        let fixture = try WatchFixture()
        let keys = (0..<12).map { "r/\($0 / 4)/\($0 % 4)" }
        func randomWrite(_ random: inout SplitMix64) -> RandomWrite {
            let value = utf8("\(random.next(below: 1000))")
            switch random.next(below: 10) {
            case 0..<6: return .put(utf8(keys[random.next(below: keys.count)]), value)
            case 6..<8: return .delete(KeyRange(key: utf8(keys[random.next(below: keys.count)])))
            case 8: return .delete(.prefix("r/\(random.next(below: 3))/"))
            default: return .putEach(keys.prefix(4).map(utf8), value)
            }
        }
        for _ in 0..<300 { try fixture.write(randomWrite(&random).apply) }

        let ranges: [KeyRange] = [
            KeyRange(key: utf8(keys[0])), KeyRange(key: utf8(keys[5])), .prefix("r/1/"), .prefix("r/"),
            KeyRange(key: utf8("r/0/2"), rangeEnd: utf8("r/2/1")), KeyRange(key: utf8("r/2/"), rangeEnd: [0]),
        ]
        let filters: [WatchFilter] = [[], [], .noPut, .noDelete]
        struct Spec: Sendable {
            var range: KeyRange, start: Int64, prevKV: Bool, filter: WatchFilter, delayEvery: Int
        }
        var specs: [Spec] = []
        var watchers: [Watcher] = []
        let oldest = fixture.hub.currentRevision - 250
        for _ in 0..<24 {
            let spec = Spec(
                range: ranges[random.next(below: ranges.count)],
                start: random.next(below: 3) == 0 ? 0 : oldest + Int64(random.next(below: 260)),
                prevKV: random.next(below: 2) == 0, filter: filters[random.next(below: filters.count)],
                delayEvery: 1 + random.next(below: 8))
            let start = spec.start == 0 ? fixture.hub.currentRevision + 1 : spec.start
            specs.append(Spec(range: spec.range, start: start, prevKV: spec.prevKV, filter: spec.filter,
                delayEvery: spec.delayEvery))
            watchers.append(
                fixture.hub.watch(range: spec.range, startRevision: spec.start, prevKV: spec.prevKV,
                    filter: spec.filter, bufferLimit: 1 + random.next(below: 20)))
        }
        let writes = (0..<700).map { _ in randomWrite(&random) }
        let done = Flag()
        let writer = Thread {
            for write in writes { fixture.mustWrite(write.apply) }
            done.set()
        }
        writer.start()

        // Consumers read while the writer runs, until the writer is done and they are caught up.
        let results = try await withThrowingTaskGroup(of: (Int, [Event]).self) { group in
            for (index, (watcher, spec)) in zip(watchers, specs).enumerated() {
                group.addTask {
                    var seen: [Event] = []
                    var batches = 0
                    let deadline = ContinuousClock.now + .seconds(60)
                    while ContinuousClock.now < deadline {
                        if done.isSet, watcher.progressRevision == fixture.hub.currentRevision { break }
                        let batch: WatchBatch?
                        do {
                            batch = try await nextBatch(watcher, within: .milliseconds(20))
                        } catch is WatchTimeout {
                            continue
                        }
                        guard case .events(let events) = batch else {
                            Issue.record("unexpected \(batch)")
                            break
                        }
                        batches += 1
                        if batches % spec.delayEvery == 0 { try await Task.sleep(for: .milliseconds(1)) }
                        seen += events
                    }
                    return (index, seen)
                }
            }
            var results: [Int: [Event]] = [:]
            for try await (index, seen) in group { results[index] = seen }
            return results
        }
        #expect(done.isSet)
        let history = fixture.history
        #expect(results.values.map(\.count).reduce(0, +) > 1000)
        for (index, spec) in specs.enumerated() {
            let expected = history.filter {
                $0.kv.modRevision >= spec.start && spec.range.contains($0.kv.key) && spec.filter.admits($0)
            }.map { event in
                var event = event
                if !spec.prevKV { event.prevKV = nil }
                return event
            }
            let seen = results[index] ?? []
            // Compared as a whole, but reported by the first difference: the arrays are long.
            let mismatch = zip(seen, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(
                seen == expected,
                """
                watcher \(index) from \(spec.start), seed \(seed): \(seen.count) events, expected \(expected.count), \
                first difference at \(mismatch.map(String.init) ?? "the end")
                """)
        }
    }

    @Test("a future start revision waits for that revision")
    func futureStart() async throws {
        let fixture = try WatchFixture()
        let target = fixture.hub.currentRevision + 3
        let watcher = fixture.hub.watch(range: .prefix("x"), startRevision: target)
        for i in 0..<5 { try fixture.put("x", "\(i)") }
        #expect(try await collect(watcher, events: 3).map(\.kv.modRevision) == [target, target + 1, target + 2])
    }

    @Test("cancel wakes a waiting consumer with nil; dropping a watcher unregisters it")
    func cancellation() async throws {
        let fixture = try WatchFixture()
        let watcher = fixture.hub.watch(range: .prefix("q"))
        let consumer = Task { try await watcher.next() }
        try await Task.sleep(for: .milliseconds(20))
        watcher.cancel()
        #expect(try await consumer.value == nil)
        #expect(try await nextBatch(watcher) == nil)
        #expect(fixture.hub.watcherCount == 0)

        do {
            let dropped = fixture.hub.watch(range: .prefix("q"))
            #expect(fixture.hub.watcherCount == 1)
            _ = dropped
        }
        #expect(fixture.hub.watcherCount == 0)

        // Cancelling the consuming task leaves the watcher usable.
        let survivor = fixture.hub.watch(range: .prefix("q"))
        let waiting = Task { try await survivor.next() }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        try fixture.put("q", "1")
        #expect(try await collect(survivor, events: 1).map(\.kv.value) == [utf8("1")])
    }
}

// MARK: Helpers

extension KeyRange {
    /// Every key starting with `prefix` (etcd's `--prefix`).
    static func prefix(_ prefix: String) -> KeyRange { .prefix(utf8(prefix)) }
}

struct WatchTimeout: Error {}

/// One write transaction of the randomized test.
enum RandomWrite: Sendable {
    case put([UInt8], [UInt8])
    case delete(KeyRange)
    /// Several puts in one transaction: a revision each.
    case putEach([[UInt8]], [UInt8])

    func apply(_ batch: inout MVCCWriteBatch) throws {
        switch self {
        case .put(let key, let value):
            _ = try batch.put(PutRequest(key: key, value: value))
        case .delete(let range):
            _ = try batch.deleteRange(DeleteRangeRequest(key: range.key, rangeEnd: range.rangeEnd))
        case .putEach(let keys, let value):
            for key in keys { _ = try batch.put(PutRequest(key: key, value: value)) }
        }
    }
}

/// A small seeded generator, so that a failing seed replays.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(below bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

/// A store in a temporary directory with a hub fed the way the member's applier feeds it.
final class WatchFixture: @unchecked Sendable {  // reason: each test writes from one thread at a time
    let store: MVCCStore
    let hub: WatchHub
    private let directory: URL
    var index: UInt64 = 0
    /// Every event written, in order.
    private(set) var history: [Event] = []

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("watchhub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try makeTestStore(at: directory.path)
        hub = WatchHub(store: store)
    }

    deinit {
        store.environment.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// One write transaction, then notify with its events.
    func write(_ body: (inout MVCCWriteBatch) throws -> Void) throws {
        index += 1
        let events = try store.write(consistentIndex: index, body).events
        history += events
        hub.notify(events: events, revision: store.currentRevision)
    }

    func mustWrite(_ body: (inout MVCCWriteBatch) throws -> Void) {
        do { try write(body) } catch { Issue.record(error) }
    }

    @discardableResult
    func put(_ key: String, _ value: String) throws -> Int64 {
        try write { batch in _ = try batch.put(PutRequest(key: utf8(key), value: utf8(value))) }
        return store.currentRevision
    }

    func mustPut(_ key: String, _ value: String) {
        do { try put(key, value) } catch { Issue.record(error) }
    }

    func delete(_ key: String) throws {
        try write { batch in _ = try batch.deleteRange(DeleteRangeRequest(key: utf8(key))) }
    }

    func compact(_ revision: Int64) throws {
        try write { batch in try batch.compact(revision) }
    }
}

/// Reads batches until `count` events arrived; fails on a timeout, an early end, or a compaction.
func collect(_ watcher: Watcher, events count: Int, timeout: Duration = .seconds(20)) async throws -> [Event] {
    try await withThrowingTaskGroup(of: [Event]?.self) { group in
        group.addTask {
            var events: [Event] = []
            while events.count < count {
                guard case .events(let batch) = try await watcher.next() else { break }
                events += batch
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next()!
        group.cancelAll()
        guard let events = first else { throw WatchTimeout() }
        #expect(events.count == count)
        return events
    }
}

/// The watcher's next answer; throws `WatchTimeout` if none comes within `timeout` (the watcher stays live
/// and loses nothing).
func nextBatch(_ watcher: Watcher, within timeout: Duration = .seconds(20)) async throws -> WatchBatch? {
    enum Outcome: Sendable {
        case answered(WatchBatch?)
        case timedOut
    }
    return try await withThrowingTaskGroup(of: Outcome.self) { group in
        group.addTask { .answered(try await watcher.next()) }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return .timedOut
        }
        let first = try await group.next()!
        group.cancelAll()
        if case .answered(let batch) = first { return batch }
        // The timer won, but the read may have taken a batch just before it was cancelled.
        if case .answered(let batch)? = try? await group.next() { return batch }
        throw WatchTimeout()
    }
}

final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Expects no batch within a short while.
func expectNothingMore(_ watcher: Watcher) async throws {
    await #expect(throws: WatchTimeout.self) { try await nextBatch(watcher, within: .milliseconds(30)) }
}
