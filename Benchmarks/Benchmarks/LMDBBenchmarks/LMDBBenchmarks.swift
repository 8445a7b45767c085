import Benchmark

// Micro-benchmarks of the LMDB wrapper and the Raft log kept in it, run with:
//   cd Benchmarks && swift package --scratch-path ../.build-bench benchmark --target LMDBBenchmarks
// Every environment lives in a fresh directory under the system's temporary directory (on the real disk,
// so fsync costs what it costs) and is removed by the benchmark's teardown.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 2_000
    )
    registerCommitBenchmarks()
    registerRaftLogBenchmarks()
}
