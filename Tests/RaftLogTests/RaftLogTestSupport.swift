import Foundation
import LMDB
import Raft
import RaftLog

/// A directory under the system temporary directory, removed with everything in it on release.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("raftlog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Thrown from a transaction body to make it abort.
struct Abort: Error {}

func openEnvironment(_ path: String) throws -> Environment {
    try Environment(
        path: path, configuration: EnvironmentConfiguration(mapSize: 1 << 26, maxDatabases: 8, durability: .noSync))
}

/// Entries with the given terms at consecutive indexes from `first`, each with a payload naming it.
func entries(_ terms: [Term], from first: LogIndex = 1) -> [Entry] {
    terms.enumerated().map { offset, term in
        let index = first + LogIndex(offset)
        return Entry(term: term, index: index, data: Array("\(term)/\(index)".utf8))
    }
}

extension RaftLogStore {
    /// The whole available log.
    func allEntries() throws -> [Entry] {
        try entries(from: firstIndex(), to: lastIndex() + 1, maxSize: .max)
    }
}
