import Foundation
import LMDB
import MVCC

/// An `MVCCStore` in a fresh directory under the system's temporary directory, removed on `close()`.
final class TemporaryStore {
    let directory: URL
    let environment: Environment
    let store: MVCCStore
    private var nextIndex: UInt64 = 1

    init(durability: EnvironmentConfiguration.Durability) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("keel-mvcc-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A map far above what a run writes: the file is sparse, so this costs no disk.
        let configuration = EnvironmentConfiguration(mapSize: 8 << 30, durability: durability)
        environment = try Environment(path: directory.path, configuration: configuration)
        store = try MVCCStore(environment: environment)
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
        environment.close()
        try? FileManager.default.removeItem(at: directory)
    }
}
