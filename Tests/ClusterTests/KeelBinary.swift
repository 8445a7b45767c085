import Foundation

/// Where the `keel` executable under test is.
enum KeelBinary {
    /// The directory holding Package.swift, found from this file's location (Tests/ClusterTests/).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `$KEEL_BINARY`; else the `keel` built beside this test bundle (same build directory, whatever the
    /// scratch path); else the debug build in `.build`.
    static var path: String {
        if let path = ProcessInfo.processInfo.environment["KEEL_BINARY"], !path.isEmpty {
            return path
        }
        if let bundle = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let sibling = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("keel").path
            if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        }
        return packageRoot.appendingPathComponent(".build/debug/keel").path
    }

    static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: path) }

    static let missingMessage = "keel binary not found: run `swift build` first or set KEEL_BINARY"
}
