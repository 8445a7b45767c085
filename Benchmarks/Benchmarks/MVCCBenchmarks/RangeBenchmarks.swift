import Benchmark
import BenchmarkSupport
import MVCC

/// Range reads on a store of 100,000 keys: one key, and 1,000 consecutive keys. Each iteration is one
/// `MVCCStore.range` call, so one LMDB read transaction, and includes copying the values out.
func registerRangeBenchmarks() {
    let keyCount = 100_000
    let span = 1_000

    // Successive iterations read keys far apart, so that they do not walk the same pages in turn.
    rangeBenchmark("range 1 key of 100,000", keyCount: keyCount, scalingFactor: .kilo) { store, step in
        let index = (step &* 7_919) % keyCount
        let response = try store.range(RangeRequest(key: BenchmarkData.key(index)))
        precondition(response.kvs.count == 1, "key \(index) missing")
        return response
    }
    rangeBenchmark("range 1,000 keys of 100,000", keyCount: keyCount, scalingFactor: .one) { store, step in
        let first = (step &* 7_919) % (keyCount - span)
        let request = RangeRequest(key: BenchmarkData.key(first), rangeEnd: BenchmarkData.key(first + span))
        let response = try store.range(request)
        precondition(response.kvs.count == span, "range from \(first) returned \(response.kvs.count) keys")
        return response
    }
}

private func rangeBenchmark(
    _ name: String,
    keyCount: Int,
    scalingFactor: BenchmarkScalingFactor,
    read: @escaping (MVCCStore, Int) throws -> RangeResponse
) {
    let fixture = Fixture<TemporaryStore>()
    var step = 0
    Benchmark(name, configuration: .init(scalingFactor: scalingFactor)) { benchmark in
        let store = fixture.current.store
        for _ in benchmark.scaledIterations {
            step += 1
            blackHole(try read(store, step))
        }
    } setup: {
        let storage = try TemporaryStore(durability: .noSync)
        try storage.load(count: keyCount)
        fixture.value = storage
    } teardown: {
        fixture.value?.close()
        fixture.value = nil
    }
}
