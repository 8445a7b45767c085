import Benchmark

// Micro-benchmarks of the etcd v3 wire messages (swift-protobuf), run with:
//   cd Benchmarks && swift package --scratch-path ../.build-bench benchmark --target ProtobufBenchmarks
// Every iteration encodes or decodes one whole message, in memory.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        warmupIterations: 3,
        maxDuration: .seconds(3),
        maxIterations: 20_000
    )
    registerCodingBenchmarks()
}
