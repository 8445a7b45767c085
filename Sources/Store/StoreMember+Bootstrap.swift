import LMDB
import MVCC
import Raft
import RaftLog

extension StoreMember {
    static let identityMetaKey = "identity"
    /// Replicated: the cluster id and token, set when the cluster is created.
    static let clusterMetaKey = "cluster"
    /// Replicated: the member list (`ClusterMember.encodeList`).
    static let membersMetaKey = "members"

    /// Reads the member's identity from its data directory or, on a first start, creates it: for a new
    /// cluster, every initial member derives the same member ids, cluster id, member list and bootstrap
    /// snapshot from `--initial-cluster`; a member joining an existing cluster starts empty and learns the
    /// cluster (and its id) from the leader's snapshot.
    static func restoreOrBootstrap(
        configuration: StoreConfiguration, mvcc: MVCCStore, raftLog: RaftLogStore
    ) throws -> MemberIdentity {
        if let stored = try mvcc.getMeta(identityMetaKey), var identity = decodeIdentity(stored) {
            if identity.clusterID == 0, let cluster = try mvcc.getMeta(clusterMetaKey), let id = decodeCluster(cluster)?.id {
                identity.clusterID = id
            }
            if raftLog.isEmpty && configuration.initialClusterState == .new && mvcc.consistentIndex > 0 {
                throw StoreError.invalidConfiguration(
                    "the data directory \(configuration.dataDirectory) holds a key space without a Raft log; "
                        + "restore it from a snapshot instead")
            }
            return identity
        }
        let token = configuration.initialClusterToken
        // Identical on every initial member: client URLs are published through the log once each starts.
        let members = initialMembers(configuration)
        guard let me = members.first(where: { $0.name == configuration.name }) else {
            throw StoreError.invalidConfiguration(
                "--initial-cluster has no member named \(configuration.name)")
        }
        let myID = me.id
        switch configuration.initialClusterState {
        case .new:
            if Set(members.map(\.id)).count != members.count {
                throw StoreError.invalidConfiguration("--initial-cluster names two members with the same peer URLs")
            }
            let clusterID = MemberIdentity.clusterID(memberIDs: members.map(\.id), clusterToken: token)
            let identity = MemberIdentity(clusterID: clusterID, memberID: myID, name: configuration.name)
            let confState = ConfState(voters: members.map(\.id))
            do {
                _ = try mvcc.write(consistentIndex: Snapshot.bootstrapIndex) { batch in
                    try batch.setMeta(identityMetaKey, encodeIdentity(identity))
                    try batch.setMeta(clusterMetaKey, encodeCluster(id: clusterID, token: token))
                    try batch.setMeta(membersMetaKey, ClusterMember.encodeList(members))
                    try raftLog.bootstrap(confState, in: batch.transaction)
                }
                raftLog.committed()
            } catch {
                raftLog.rolledBack()
                throw error
            }
            return identity
        case .existing:
            let identity = MemberIdentity(clusterID: 0, memberID: myID, name: configuration.name)
            _ = try mvcc.write(consistentIndex: 0) { batch in
                try batch.setMeta(identityMetaKey, encodeIdentity(identity))
            }
            return identity
        }
    }

    /// The members `--initial-cluster` names, with the ids they derive.
    static func initialMembers(_ configuration: StoreConfiguration) -> [ClusterMember] {
        let initial =
            configuration.initialCluster.isEmpty
            ? [InitialMember(name: configuration.name, peerURLs: configuration.peerURLs)]
            : configuration.initialCluster
        return initial.map { member in
            ClusterMember(
                id: MemberIdentity.memberID(peerURLs: member.peerURLs, clusterToken: configuration.initialClusterToken),
                name: member.name, peerURLs: member.peerURLs)
        }
    }

    static func peerAddresses(_ members: [ClusterMember], excluding me: UInt64) -> [UInt64: [String]] {
        var peers: [UInt64: [String]] = [:]
        for member in members where member.id != me { peers[member.id] = member.peerURLs }
        return peers
    }

    // MARK: Encodings

    static func encodeIdentity(_ identity: MemberIdentity) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(identity.clusterID)
        writer.write(identity.memberID)
        writer.writeRaw(Array(identity.name.utf8))
        return writer.bytes
    }

    static func decodeIdentity(_ bytes: [UInt8]) -> MemberIdentity? {
        var reader = ByteReader(bytes)
        guard let cluster = try? reader.readUInt64(), let member = try? reader.readUInt64() else { return nil }
        return MemberIdentity(clusterID: cluster, memberID: member, name: String(decoding: reader.readRest(), as: UTF8.self))
    }

    static func encodeCluster(id: UInt64, token: String) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(id)
        writer.writeRaw(Array(token.utf8))
        return writer.bytes
    }

    static func decodeCluster(_ bytes: [UInt8]) -> (id: UInt64, token: String)? {
        var reader = ByteReader(bytes)
        guard let id = try? reader.readUInt64() else { return nil }
        return (id, String(decoding: reader.readRest(), as: UTF8.self))
    }
}
