// swift-tools-version: 6.1
import Foundation
import PackageDescription

// KEEL_CORE_ONLY=1 limits the package to the storage core (LMDB, MVCC and their tests), which builds in
// seconds and has no network dependencies.
let coreOnly = ProcessInfo.processInfo.environment["KEEL_CORE_ONLY"] == "1"

let coreTargets: [Target] = [
    .systemLibrary(
        name: "CLMDB",
        path: "Sources/CLMDB",
        providers: [.apt(["liblmdb-dev"])]
    ),
    .target(
        name: "LMDB",
        dependencies: ["CLMDB"]
    ),
    .target(
        name: "MVCC",
        dependencies: ["LMDB"]
    ),
    .testTarget(
        name: "LMDBTests",
        dependencies: ["LMDB"]
    ),
    .testTarget(
        name: "MVCCTests",
        dependencies: ["MVCC", "LMDB"]
    ),
    .target(name: "Raft"),
    .target(name: "RaftTestKit", dependencies: ["Raft"]),
    .testTarget(name: "RaftTests", dependencies: ["Raft", "RaftTestKit"]),
    .target(name: "RaftLog", dependencies: ["Raft", "LMDB", "MVCC"]),
    .testTarget(name: "RaftLogTests", dependencies: ["RaftLog", "Raft", "LMDB"]),
    .target(name: "ChaosCheck"),
    .testTarget(name: "ChaosCheckTests", dependencies: ["ChaosCheck"]),
]

let serverTargets: [Target] = [
    .target(
        name: "PeerTransport",
        dependencies: [
            "Raft",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]
    ),
    .testTarget(
        name: "PeerTransportTests",
        dependencies: ["PeerTransport", "Raft"]
    ),
    .target(
        name: "Store",
        dependencies: [
            "MVCC",
            "LMDB",
            "Raft",
            "RaftLog",
            "PeerTransport",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .target(
        name: "EtcdAPI",
        dependencies: [
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ],
        exclude: ["Protos"]
    ),
    // gRPC over HTTP/2 without a channel or task per call: a lean server for unary calls that hands streaming
    // calls to grpc-swift's server in the same process, and a lean unary client.
    .target(
        name: "GRPCWire",
        dependencies: [
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    .testTarget(
        name: "GRPCWireTests",
        dependencies: [
            "GRPCWire",
            "EtcdAPI",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]
    ),
    .target(
        name: "StoreServer",
        dependencies: [
            "Store",
            "GRPCWire",
            "MVCC",
            "Raft",
            "EtcdAPI",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .executableTarget(
        name: "keel",
        dependencies: [
            "StoreServer",
            "Store",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]
    ),
    .executableTarget(
        name: "keelctl",
        dependencies: [
            "EtcdAPI",
            "Store",
            "MVCC",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .target(
        name: "StoreClient",
        dependencies: [
            "EtcdAPI",
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    .executableTarget(
        name: "keel-chaos",
        dependencies: [
            "ChaosCheck",
            "StoreClient",
            "EtcdAPI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    // The load generator for any etcd v3 endpoint; its code lives with the other benchmarks.
    .executableTarget(
        name: "keel-bench",
        dependencies: [
            "EtcdAPI",
            "GRPCWire",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "GRPCCore", package: "grpc-swift-2"),
            .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ],
        path: "Benchmarks/Sources/keel-bench"
    ),
    .testTarget(
        name: "StoreTests",
        dependencies: ["Store", "MVCC", "LMDB", "Raft", "RaftLog"]
    ),
    .testTarget(
        name: "ClusterTests",
        dependencies: [
            "StoreClient", "EtcdAPI", "ChaosCheck", "LMDB", "MVCC", .product(name: "Logging", package: "swift-log"),
        ]
    ),
    .testTarget(
        name: "StoreClientTests",
        dependencies: ["StoreClient", "StoreServer", "Store", "EtcdAPI"]
    ),
    .testTarget(
        name: "StoreServerTests",
        dependencies: [
            "StoreServer",
            "Store",
            "MVCC",
            "EtcdAPI",
        ]
    ),
]

let package = Package(
    name: "keel",
    platforms: [.macOS(.v15)],
    products: coreOnly
        ? [.library(name: "MVCC", targets: ["MVCC"])]
        : [
            .executable(name: "keel", targets: ["keel"]),
            .executable(name: "keelctl", targets: ["keelctl"]),
            .executable(name: "keel-chaos", targets: ["keel-chaos"]),
            .executable(name: "keel-bench", targets: ["keel-bench"]),
            .library(name: "MVCC", targets: ["MVCC"]),
            .library(name: "LMDB", targets: ["LMDB"]),
            .library(name: "Raft", targets: ["Raft"]),
            .library(name: "RaftLog", targets: ["RaftLog"]),
            .library(name: "Store", targets: ["Store"]),
            .library(name: "StoreServer", targets: ["StoreServer"]),
            .library(name: "EtcdAPI", targets: ["EtcdAPI"]),
            .library(name: "StoreClient", targets: ["StoreClient"]),
        ],
    dependencies: coreOnly
        ? []
        : [
            .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
            .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
            .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
            .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
            .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
            .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
            .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
            .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
            .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
            .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
            .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
            .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        ],
    targets: coreOnly ? coreTargets : coreTargets + serverTargets,
    swiftLanguageModes: [.v6]
)
