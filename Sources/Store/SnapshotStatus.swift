import Foundation
import LMDB
import MVCC

/// What `keelctl snapshot status` reports about a snapshot file: etcd's four figures (hash, revision, total
/// keys, total size) plus the result of the integrity check and the snapshot format version.
///
/// Computed from a private copy of the data, so the file itself is only read and nothing is left behind.
public struct SnapshotStatus: Sendable, Equatable {
    /// CRC-32C of the key space the file holds (as `Maintenance.Hash` computes it for a member).
    public var hash: UInt32
    /// The store revision the snapshot holds.
    public var revision: Int64
    /// The revision the snapshot's history is compacted at (0 if never).
    public var compactedRevision: Int64
    /// Live keys at `revision`.
    public var totalKeys: Int
    /// Size of the LMDB data, without the trailer.
    public var totalSize: Int64
    public var formatVersion: String
    public var digestCheck: SnapshotFile.DigestCheck

    public init(
        hash: UInt32, revision: Int64, compactedRevision: Int64, totalKeys: Int, totalSize: Int64,
        formatVersion: String, digestCheck: SnapshotFile.DigestCheck
    ) {
        self.hash = hash
        self.revision = revision
        self.compactedRevision = compactedRevision
        self.totalKeys = totalKeys
        self.totalSize = totalSize
        self.formatVersion = formatVersion
        self.digestCheck = digestCheck
    }

    /// Verifies and inspects `file`: a trailer, if present, must match (`.digestMismatch` otherwise); the
    /// data must be a whole LMDB file holding a Keel key space.
    public init(reading file: SnapshotFile) throws(SnapshotError) {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("keel-snapshot-status-\(UUID().uuidString)").path
        guard mkdir(directory, 0o700) == 0 else {
            throw .storage("cannot create \(directory): \(SnapshotFile.errnoText())")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let check = try file.extract(to: directory + "/data.mdb", policy: .verifyIfPresent)
        let environment = try file.openKeyspace(at: directory, mapSize: 1 << 30)
        defer { environment.close() }
        do {
            let store = try MVCCStore(environment: environment)
            self.init(
                hash: try store.hash(), revision: store.currentRevision, compactedRevision: store.compactedRevision,
                totalKeys: try store.keyCount(), totalSize: file.dataSize, formatVersion: SnapshotFile.formatVersion,
                digestCheck: check)
        } catch {
            throw .notKeyspace(path: file.path, missing: "readable key space (\(error))")
        }
    }
}

extension SnapshotFile {
    /// The databases every member's environment has; their absence means the file is some other LMDB file.
    static let keyspaceDatabases = ["meta", "history", "keyindex"]

    /// Opens the data extracted into `directory` as an environment, after checking that it holds a key space.
    func openKeyspace(at directory: String, mapSize: Int) throws(SnapshotError) -> Environment {
        let environment: Environment
        do {
            environment = try Environment(
                path: directory, configuration: EnvironmentConfiguration(mapSize: mapSize, maxDatabases: 16))
        } catch {
            throw .notLMDB(path: path, reason: "LMDB cannot open it (\(error))")
        }
        for name in Self.keyspaceDatabases {
            do {
                _ = try environment.openDatabase(name)
            } catch {
                environment.close()
                throw .notKeyspace(path: path, missing: "\"\(name)\"")
            }
        }
        return environment
    }
}
