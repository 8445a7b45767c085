import Foundation
import LMDB

/// An LMDB environment in a fresh directory under the system's temporary directory, removed on `close()`.
final class TemporaryEnvironment {
    let directory: URL
    let environment: Environment

    init(durability: EnvironmentConfiguration.Durability) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("keel-lmdb-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A map far above what a run writes: the file is sparse, so this costs no disk.
        let configuration = EnvironmentConfiguration(mapSize: 8 << 30, durability: durability)
        environment = try Environment(path: directory.path, configuration: configuration)
    }

    func close() {
        environment.close()
        try? FileManager.default.removeItem(at: directory)
    }
}
