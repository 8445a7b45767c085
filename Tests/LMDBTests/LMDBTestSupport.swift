import Foundation
import LMDB

/// A directory under the system temporary directory, removed with everything in it on release.
final class ScratchDirectory {
    let path: String

    init(_ label: String = "lmdb") throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func child(_ name: String) -> String { path + "/" + name }
}

func utf8(_ string: String) -> [UInt8] { Array(string.utf8) }

func openEnvironment(_ path: String, mapSize: Int = 1 << 26, readOnly: Bool = false) throws -> Environment {
    try Environment(
        path: path,
        configuration: EnvironmentConfiguration(mapSize: mapSize, durability: .noSync, readOnly: readOnly)
    )
}
