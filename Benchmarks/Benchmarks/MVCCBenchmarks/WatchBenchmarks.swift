import Benchmark
import BenchmarkSupport
import MVCC

/// Watch fan-out: the cost of handing one committed write (one event) to many watchers. "notify" is what the
/// writer pays (`WatchHub.notify`); "notify + deliver" adds every watcher's consumer taking its batch
/// (`Watcher.next()`), still in process: no gRPC, no encoding. The store write itself is outside the
/// measurement.
func registerWatchBenchmarks() {
    let hotKey = Array("/registry/pods/default/web-0".utf8)
    let keyWatchers = 10_000
    let prefixWatchers = 1_000

    let onHotKey = (0..<keyWatchers).map { _ in KeyRange(key: hotKey) }
    let onHotPrefix = (0..<prefixWatchers).map { _ in KeyRange.prefix(Array("/registry/pods/".utf8)) }
    let onOtherKeys = (0..<keyWatchers).map { KeyRange(key: Array("/registry/pods/default/other-\($0)".utf8)) }
    let onOtherPrefixes = (0..<prefixWatchers).map { KeyRange.prefix(Array("/registry/services/\($0)/".utf8)) }

    watchBenchmark("watch notify 1 event to 10,000 key watchers", ranges: onHotKey, key: hotKey, measureDelivery: false)
    watchBenchmark("watch notify + deliver 1 event to 10,000 key watchers", ranges: onHotKey, key: hotKey,
        measureDelivery: true)
    watchBenchmark("watch notify 1 event to 1,000 prefix watchers", ranges: onHotPrefix, key: hotKey,
        measureDelivery: false)
    watchBenchmark("watch notify + deliver 1 event to 1,000 prefix watchers", ranges: onHotPrefix, key: hotKey,
        measureDelivery: true)
    watchBenchmark("watch notify 1 event, 10,000 key watchers elsewhere", ranges: onOtherKeys, key: hotKey,
        measureDelivery: false)
    watchBenchmark("watch notify 1 event, 1,000 prefix watchers elsewhere", ranges: onOtherPrefixes, key: hotKey,
        measureDelivery: false)
}

private func watchBenchmark(_ name: String, ranges: [KeyRange], key: [UInt8], measureDelivery: Bool) {
    let fixture = Fixture<WatchFixture>()
    Benchmark(name, configuration: .init(maxIterations: 1_000)) { benchmark in
        let state = fixture.current
        for _ in benchmark.scaledIterations {
            let (events, revision) = try state.write(key: key)
            benchmark.startMeasurement()
            state.hub.notify(events: events, revision: revision)
            if measureDelivery { try await state.drain() }
            benchmark.stopMeasurement()
            if !measureDelivery { try await state.drain() }
        }
    } setup: {
        fixture.value = try WatchFixture(ranges: ranges, key: key)
    } teardown: {
        fixture.value?.close()
        fixture.value = nil
    }
}

/// A hub over a scratch store with synced watchers on the given ranges. Every iteration's event is taken by
/// the watchers it matched before the next write, so no watcher ever falls behind and the hub stays in its
/// steady state: all watchers synced, empty queues.
final class WatchFixture {
    let storage: TemporaryStore
    let hub: WatchHub
    private let watchers: [Watcher]
    /// The watchers that receive the written key's events.
    private let matching: [Watcher]
    private let value = BenchmarkData.value(0)

    init(ranges: [KeyRange], key: [UInt8]) throws {
        storage = try TemporaryStore(durability: .noSync)
        let hub = WatchHub(store: storage.store)
        self.hub = hub
        let watchers = ranges.map { hub.watch(range: $0) }
        self.watchers = watchers
        matching = watchers.filter { $0.range.contains(key) }
    }

    func write(key: [UInt8]) throws -> (events: [Event], revision: Int64) {
        let value = self.value
        let outcome = try storage.store.write(consistentIndex: storage.takeIndex()) { batch in
            try batch.put(PutRequest(key: key, value: value)).prevKV
        }
        return (outcome.events, storage.store.currentRevision)
    }

    func drain() async throws {
        for watcher in matching {
            guard case .events(let events)? = try await watcher.next(), events.count == 1 else {
                preconditionFailure("watcher \(watcher.id) did not receive exactly the one event")
            }
            blackHole(events)
        }
    }

    func close() {
        for watcher in watchers { watcher.cancel() }
        storage.close()
    }
}
