import Benchmark

// Micro-benchmarks of the storage core, run with:
//   cd Benchmarks && swift package --scratch-path ../.build-bench benchmark --target MVCCBenchmarks
// Every figure is per iteration; see docs/benchmarks.md for what each iteration does.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 20_000
    )
    registerPutBenchmarks()
    registerRangeBenchmarks()
    registerWatchBenchmarks()
}
