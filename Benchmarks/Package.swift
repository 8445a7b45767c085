// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so that building Keel itself never pulls in the benchmark
// framework. Build with: swift build -c release --scratch-path ../.build-bench
let package = Package(
    name: "KeelBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "keel", path: ".."),
        // Only the malloc interposer: the framework's ARC counters crash on this toolchain.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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
        .executableTarget(
            name: "keel-bench",
            dependencies: [
                .product(name: "EtcdAPI", package: "keel"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
