import BenchmarkSupport
import Foundation
import LMDB
import MVCC

/// An `MVCCStore` in a fresh directory under the system's temporary directory, removed on `close()`.
final class TemporaryStore {
    private let storage: TemporaryEnvironment
    let store: MVCCStore
    private var nextIndex: UInt64 = 1

    var directory: URL { storage.directory }
    var environment: Environment { storage.environment }

    init(durability: EnvironmentConfiguration.Durability) throws {
        storage = try TemporaryEnvironment(durability: durability, prefix: "keel-mvcc-bench")
        store = try MVCCStore(environment: storage.environment)
    }

    /// The consistent index for the next batch, as the applier would pass it.
    func takeIndex() -> UInt64 {
        defer { nextIndex += 1 }
        return nextIndex
    }

    /// Writes keys `0..<count` in batches of `batchSize` puts, then flushes to disk once.
    func load(count: Int, batchSize: Int = 1000) throws {
        var start = 0
        while start < count {
            let end = min(start + batchSize, count)
            _ = try store.write(consistentIndex: takeIndex()) { batch in
                for index in start..<end {
                    _ = try batch.put(PutRequest(key: BenchmarkData.key(index), value: BenchmarkData.value(index)))
                }
            }
            start = end
        }
        try environment.sync(force: true)
    }

    func close() {
        storage.close()
    }
}
