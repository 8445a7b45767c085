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
    ],
    targets: [
        .executableTarget(
            name: "MVCCBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MVCC", package: "keel"),
            ],
            path: "Benchmarks/MVCCBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
