import Benchmark
import BenchmarkSupport
import LMDB

/// Raw LMDB write transactions through the wrapper, without MVCC: one commit per iteration holding 1 or
/// 100 puts (8-byte keys, 256-byte values) that overwrite keys of a preloaded database in turn. The
/// durability cases show what each commit waits for: `full` fsyncs data and meta page, `noMetaSync`
/// (`MDB_NOMETASYNC`) only the data, `noSync` (`MDB_NOSYNC`) nothing.
func registerCommitBenchmarks() {
    let cases: [(name: String, durability: EnvironmentConfiguration.Durability)] = [
        ("fsync", .full),
        ("MDB_NOMETASYNC", .noMetaSync),
        ("MDB_NOSYNC", .noSync),
    ]
    for (durabilityName, durability) in cases {
        for putsPerCommit in [1, 100] {
            let name =
                putsPerCommit == 1
                ? "lmdb commit 1 small put (\(durabilityName))"
                : "lmdb commit \(putsPerCommit) puts in one txn (\(durabilityName))"
            let fixture = Fixture<CommitFixture>()
            Benchmark(
                name,
                configuration: .init(maxIterations: durability == .noSync ? 20_000 : 2_000)
            ) { benchmark in
                let state = fixture.current
                for _ in benchmark.scaledIterations {
                    try state.commit(puts: putsPerCommit)
                }
            } setup: {
                fixture.value = try CommitFixture(durability: durability)
            } teardown: {
                fixture.value?.close()
                fixture.value = nil
            }
        }
    }
}

/// A database preloaded with `keySpace` keys, which the commits then overwrite in turn.
final class CommitFixture {
    static let keySpace = 10_000
    static let keySize = 8
    static let valueSize = 256

    private let storage: TemporaryEnvironment
    private let database: Database
    private let keys: [[UInt8]]
    private let values: [[UInt8]]
    private var nextKey = 0

    init(durability: EnvironmentConfiguration.Durability) throws {
        storage = try TemporaryEnvironment(durability: durability)
        database = try storage.environment.openDatabase("bench", flags: .create)
        keys = (0..<Self.keySpace).map(Self.key)
        values = (0..<16).map { [UInt8](repeating: UInt8(ascii: "a") + UInt8($0), count: Self.valueSize) }
        let keys = self.keys
        let values = self.values
        let database = self.database
        try storage.environment.write { txn in
            for (index, key) in keys.enumerated() {
                try txn.put(database, key: key, value: values[index % values.count])
            }
        }
        try storage.environment.sync(force: true)
    }

    /// Key number `index` as zero-padded decimal digits, so keys sort in index order.
    private static func key(_ index: Int) -> [UInt8] {
        Array(String(index).leftPadded(to: keySize).utf8)
    }

    func commit(puts: Int) throws {
        let first = nextKey
        nextKey = (nextKey + puts) % Self.keySpace
        let keys = self.keys
        let values = self.values
        let database = self.database
        try storage.environment.write { txn in
            for offset in 0..<puts {
                let index = (first + offset) % Self.keySpace
                try txn.put(database, key: keys[index], value: values[(first + offset) % values.count])
            }
        }
    }

    func close() {
        storage.close()
    }
}

extension String {
    /// The string with leading zeros up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}
