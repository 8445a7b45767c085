import Benchmark
import BenchmarkSupport
import LMDB
import MVCC

/// Put throughput: one batch (one LMDB write transaction, one commit) per iteration, holding 1 or 100 puts,
/// with fsync at commit (`.full`, what `keel store` runs with) and without (`.noSync`), which isolates the
/// cost of the fsync from the cost of the B-tree work.
func registerPutBenchmarks() {
    let cases: [(name: String, durability: EnvironmentConfiguration.Durability)] = [
        ("full", .full),
        ("noSync", .noSync),
    ]
    for (durabilityName, durability) in cases {
        for putsPerBatch in [1, 100] {
            let fixture = Fixture<PutFixture>()
            Benchmark(
                "put \(putsPerBatch) per batch (\(durabilityName))",
                configuration: .init(maxIterations: durability == .full ? 2_000 : 20_000)
            ) { benchmark in
                let state = fixture.current
                for _ in benchmark.scaledIterations {
                    try state.writeBatch(puts: putsPerBatch)
                }
            } setup: {
                let state = try PutFixture(durability: durability)
                try state.storage.load(count: PutFixture.keySpace)
                fixture.value = state
            } teardown: {
                fixture.value?.storage.close()
                fixture.value = nil
            }
        }
    }
}

/// A store preloaded with `keySpace` keys that the puts then overwrite in turn, so each put updates an
/// existing key (a new revision in its history), as most writes in a control plane do.
final class PutFixture {
    static let keySpace = 100_000

    let storage: TemporaryStore
    private var nextKey = 0
    private let values: [[UInt8]]

    init(durability: EnvironmentConfiguration.Durability) throws {
        storage = try TemporaryStore(durability: durability)
        values = (0..<16).map { BenchmarkData.value($0) }
    }

    func writeBatch(puts: Int) throws {
        let first = nextKey
        nextKey = (nextKey + puts) % Self.keySpace
        let values = self.values
        _ = try storage.store.write(consistentIndex: storage.takeIndex()) { batch in
            for offset in 0..<puts {
                let index = (first + offset) % Self.keySpace
                _ = try batch.put(PutRequest(key: BenchmarkData.key(index), value: values[index % values.count]))
            }
        }
    }
}
