import Foundation
import LMDB
import Logging
import MVCC
import Raft
import RaftLog

/// `snapshot restore`: builds the data directory of one member of a **new** cluster from a snapshot file,
/// as `etcdctl snapshot restore` does for etcd.
///
/// Guarantees:
/// - The key space (keys, history, leases, revisions) is the file's; the Raft log, the member's identity,
///   the cluster record, the member list and the alarms are replaced by those a fresh `keel store
///   --initial-cluster-state new` with the same `--name`, `--initial-cluster`, `--initial-cluster-token` and
///   `--initial-advertise-peer-urls` would write: the same member and cluster ids, a Raft log bootstrapped at
///   the consistent index. So every member of the new cluster, each restored from the same file with its own
///   name and directory, starts as one cluster with identical key spaces.
/// - All or nothing: the directory is built in a temporary sibling, synced, and renamed into place at the
///   end. A refused file (hash mismatch, truncated, not LMDB, not a Keel key space), an existing data
///   directory, or any failure on the way leaves nothing behind.
public struct SnapshotRestore: Sendable {
    /// etcd's `snapshot restore` flags, with etcd's defaults.
    public struct Options: Sendable {
        public var snapshotPath: String
        public var name = "default"
        /// `--initial-cluster`; empty means this member alone at `peerURLs`.
        public var initialCluster: [InitialMember] = []
        public var initialClusterToken = "etcd-cluster"
        /// `--initial-advertise-peer-urls`.
        public var peerURLs = ["http://localhost:2380"]
        /// `--data-dir`; nil means `<name>.etcd`.
        public var dataDirectory: String?
        public var skipHashCheck = false
        /// `--bump-revision`: how much to raise the revision after restoring.
        public var bumpRevision: UInt64 = 0
        /// `--mark-compacted`: compact at the (bumped) revision, so that older revisions read as compacted.
        public var markCompacted = false

        public init(snapshotPath: String) {
            self.snapshotPath = snapshotPath
        }

        public var resolvedDataDirectory: String { dataDirectory ?? "\(name).etcd" }
    }

    /// What was restored.
    public struct Result: Sendable, Equatable {
        public var dataDirectory: String
        public var identity: MemberIdentity
        public var members: [ClusterMember]
        public var revision: Int64
        public var compactedRevision: Int64
        public var digestCheck: SnapshotFile.DigestCheck
    }

    public var options: Options
    public var logger: Logger

    public init(options: Options, logger: Logger = Logger(label: "keel.snapshot")) {
        self.options = options
        self.logger = logger
    }

    /// Restores; see the type's guarantees.
    public func run() throws(SnapshotError) -> Result {
        let configuration = try checkedConfiguration()
        let members = StoreMember.initialMembers(configuration)
        guard let me = members.first(where: { $0.name == options.name }) else {
            throw .invalidOptions(
                "couldn't find local name \"\(options.name)\" in the initial cluster configuration")
        }
        var dataDirectory = options.resolvedDataDirectory
        while dataDirectory.count > 1 && dataDirectory.hasSuffix("/") { dataDirectory.removeLast() }
        var info = stat()
        if lstat(dataDirectory, &info) == 0 { throw .dataDirectoryExists(path: dataDirectory) }
        let file = try SnapshotFile(path: options.snapshotPath)
        let clusterID = MemberIdentity.clusterID(memberIDs: members.map(\.id), clusterToken: options.initialClusterToken)
        let identity = MemberIdentity(clusterID: clusterID, memberID: me.id, name: options.name)
        logger.info(
            "restoring snapshot",
            metadata: ["path": "\(file.path)", "data-dir": "\(dataDirectory)", "size": "\(file.size)"])

        let parent = (dataDirectory as NSString).deletingLastPathComponent
        let createdParents = try Self.createMissingDirectories(parent.isEmpty ? "." : parent)
        let staging =
            (parent.isEmpty ? "" : parent + "/")
            + ".\((dataDirectory as NSString).lastPathComponent).restoring-\(UUID().uuidString.prefix(8))"
        guard mkdir(staging, 0o700) == 0 else {
            Self.remove(createdParents)
            throw .storage("cannot create \(staging): \(SnapshotFile.errnoText())")
        }
        do throws(SnapshotError) {
            let outcome = try build(in: staging, from: file, identity: identity, members: members)
            try Self.syncDirectory(staging)
            guard rename(staging, dataDirectory) == 0 else {
                throw .storage("cannot rename \(staging) to \(dataDirectory): \(SnapshotFile.errnoText())")
            }
            try Self.syncDirectory(parent.isEmpty ? "." : parent)
            let result = Result(
                dataDirectory: dataDirectory, identity: identity, members: members, revision: outcome.revision,
                compactedRevision: outcome.compacted, digestCheck: outcome.check)
            logger.info(
                "restored snapshot",
                metadata: [
                    "path": "\(file.path)", "data-dir": "\(dataDirectory)", "hash-check": "\(outcome.check.rawValue)",
                    "member-id": "\(String(identity.memberID, radix: 16))",
                    "cluster-id": "\(String(identity.clusterID, radix: 16))",
                    "revision": "\(outcome.revision)", "compacted-revision": "\(outcome.compacted)",
                ])
            return result
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            Self.remove(createdParents)
            throw error
        }
    }

    /// The configuration `keel store` would be started with, so that the ids derive exactly as there;
    /// checked as etcd checks before it bootstraps.
    private func checkedConfiguration() throws(SnapshotError) -> StoreConfiguration {
        if (options.bumpRevision > 0) != options.markCompacted {
            throw .invalidOptions("--mark-compacted required if --bump-revision > 0 (and only then)")
        }
        guard !options.peerURLs.isEmpty else { throw .invalidOptions("--initial-advertise-peer-urls is empty") }
        var configuration = StoreConfiguration()
        configuration.name = options.name
        configuration.peerURLs = options.peerURLs
        configuration.initialClusterToken = options.initialClusterToken
        configuration.initialCluster = options.initialCluster
        configuration.dataDirectory = options.resolvedDataDirectory
        if let local = options.initialCluster.first(where: { $0.name == options.name }) {
            let advertised = Set(options.peerURLs.map { InitialMember.comparable(peerURL: $0) })
            let listed = Set(local.peerURLs.map { InitialMember.comparable(peerURL: $0) })
            if advertised != listed {
                throw .invalidOptions(
                    "--initial-cluster has \(local.peerURLs.sorted().map { "\(options.name)=\($0)" }.joined(separator: ",")) "
                        + "but missing from --initial-advertise-peer-urls=\(options.peerURLs.sorted().joined(separator: ","))")
            }
        }
        let urls = options.initialCluster.flatMap(\.peerURLs).map { InitialMember.comparable(peerURL: $0) }
        if Set(urls).count != urls.count {
            throw .invalidOptions("initial cluster has duplicate url")
        }
        return configuration
    }

    /// Turns the extracted key space into a new member's environment.
    private func build(
        in directory: String, from file: SnapshotFile, identity: MemberIdentity, members: [ClusterMember]
    ) throws(SnapshotError) -> (revision: Int64, compacted: Int64, check: SnapshotFile.DigestCheck) {
        let check = try file.extract(to: directory + "/data.mdb", policy: options.skipHashCheck ? .ignore : .require)
        let environment = try file.openKeyspace(
            at: directory, mapSize: StoreMember.mapSize(forQuota: StoreConfiguration().quotaBackendBytes))
        defer {
            environment.close()
            unlink(directory + "/lock.mdb")
        }
        do {
            // The old cluster's Raft log describes members that do not exist in the new one: drop it whole.
            let raftDatabases = [
                try environment.openDatabase(RaftLogStore.logDatabaseName, flags: .create),
                try environment.openDatabase(RaftLogStore.stateDatabaseName, flags: .create),
            ]
            try environment.write { txn in for database in raftDatabases { try txn.empty(database) } }
            let mvcc = try MVCCStore(environment: environment)
            let raftLog = try RaftLogStore(environment: environment)
            let confState = ConfState(voters: members.map(\.id))
            do {
                _ = try mvcc.write(consistentIndex: Snapshot.bootstrapIndex) { batch in
                    try batch.setMeta(StoreMember.identityMetaKey, StoreMember.encodeIdentity(identity))
                    try batch.setMeta(
                        StoreMember.clusterMetaKey,
                        StoreMember.encodeCluster(id: identity.clusterID, token: options.initialClusterToken))
                    try batch.setMeta(StoreMember.membersMetaKey, ClusterMember.encodeList(members))
                    // Alarms name members of the old cluster; the new one starts without any.
                    try batch.setMeta(StoreApplier.alarmsMetaKey, StoreApplier.encode([]))
                    try raftLog.bootstrap(confState, in: batch.transaction)
                }
                raftLog.committed()
            } catch {
                raftLog.rolledBack()
                throw error
            }
            if options.bumpRevision > 0 || options.markCompacted {
                try mvcc.bumpRevision(by: options.bumpRevision, markCompacted: options.markCompacted)
            }
            try environment.sync(force: true)
            return (mvcc.currentRevision, mvcc.compactedRevision, check)
        } catch let error as SnapshotError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    /// Creates `path` and its missing ancestors; returns those it created, deepest first.
    private static func createMissingDirectories(_ path: String) throws(SnapshotError) -> [String] {
        var missing: [String] = []
        var current = path
        var info = stat()
        while !current.isEmpty, current != "/", current != ".", stat(current, &info) != 0 {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for directory in missing.reversed() {
            guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
                let reason = SnapshotFile.errnoText()
                remove(missing.filter { $0 != directory })
                throw .storage("cannot create \(directory): \(reason)")
            }
        }
        return missing
    }

    private static func remove(_ directories: [String]) {
        for directory in directories { rmdir(directory) }
    }

    /// Makes a rename or the files of a directory durable: fsync on the directory itself.
    private static func syncDirectory(_ path: String) throws(SnapshotError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw .storage("cannot open \(path): \(SnapshotFile.errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .storage("cannot sync \(path): \(SnapshotFile.errnoText())") }
    }
}
