// swift-tools-version: 6.1
import PackageDescription

// The micro-benchmarks live in their own package so that building Keel itself never pulls in the benchmark
// framework. Build with: swift build -c release --scratch-path ../.build-bench. The load generator,
// keel-bench, is a product of the main package (its code is in Sources/keel-bench here).
let package = Package(
    name: "KeelBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "keel", path: ".."),
        // Only the malloc interposer: the framework's ARC counters crash on this toolchain.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // The version Keel itself resolves; the protobuf benchmarks call its encoder and decoder directly.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // What every benchmark target shares.
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "LMDB", package: "keel")],
            path: "Benchmarks/BenchmarkSupport"
        ),
        benchmark("MVCCBenchmarks", using: [.product(name: "MVCC", package: "keel")]),
        benchmark("RaftBenchmarks", using: [.product(name: "Raft", package: "keel")]),
        benchmark(
            "LMDBBenchmarks",
            using: [
                .product(name: "LMDB", package: "keel"),
                .product(name: "Raft", package: "keel"),
                .product(name: "RaftLog", package: "keel"),
            ]),
        benchmark(
            "ProtobufBenchmarks",
            using: [
                .product(name: "EtcdAPI", package: "keel"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

/// A benchmark executable in `Benchmarks/<name>`, run by the framework's plugin, with the shared support.
func benchmark(_ name: String, using dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark"), "BenchmarkSupport"] + dependencies,
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
