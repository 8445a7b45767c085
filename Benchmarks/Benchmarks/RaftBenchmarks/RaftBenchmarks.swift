import Benchmark

// Micro-benchmarks of the Raft state machine, run with:
//   cd Benchmarks && swift package --scratch-path ../.build-bench benchmark --target RaftBenchmarks
// Everything stays in memory: no disk, no network, so the figures are the cost of the consensus logic
// itself. See docs/benchmarks.md for what each iteration does.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 20_000
    )
    registerProposeBenchmarks()
    registerStepBenchmarks()
}
