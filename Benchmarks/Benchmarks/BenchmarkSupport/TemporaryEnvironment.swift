import Foundation
import LMDB

/// An LMDB environment in a fresh directory under the system's temporary directory, removed on `close()`.
public final class TemporaryEnvironment {
    public let directory: URL
    public let environment: Environment

    /// `prefix` names the directory, so that a leftover one says which benchmark made it.
    public init(durability: EnvironmentConfiguration.Durability, prefix: String = "keel-lmdb-bench") throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A map far above what a run writes: the file is sparse, so this costs no disk.
        let configuration = EnvironmentConfiguration(mapSize: 8 << 30, durability: durability)
        environment = try Environment(path: directory.path, configuration: configuration)
    }

    public func close() {
        environment.close()
        try? FileManager.default.removeItem(at: directory)
    }
}
