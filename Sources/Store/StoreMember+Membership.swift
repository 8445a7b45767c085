import Foundation
import Raft

/// Membership changes (etcd's MemberAdd, MemberRemove, MemberUpdate, MemberPromote): each is one Raft
/// configuration change, proposed by whichever member the client asked, and answered once that member has
/// applied it. One change is in flight at a time.
extension StoreMember {
    /// Every member, as the replicated state lists them.
    public var members: [ClusterMember] { published.withLock { $0.members } }

    /// Adds a member (as a learner if asked). Its id is derived from its peer URLs and the cluster token, so
    /// the new member computes the same id when it starts with `--initial-cluster-state existing`.
    public func addMember(peerURLs: [String], isLearner: Bool) async throws -> (added: ClusterMember, members: [ClusterMember]) {
        let current = members
        for url in peerURLs where current.contains(where: { $0.peerURLs.contains(url) }) {
            throw StoreError.peerURLExists(url)
        }
        // etcd allows one learner at a time, and checks it after the peer URLs.
        if isLearner && current.contains(where: \.isLearner) { throw StoreError.tooManyLearners }
        let token = (try mvcc.getMeta(Self.clusterMetaKey)).flatMap(Self.decodeCluster)?.token
            ?? configuration.initialClusterToken
        let id = MemberIdentity.memberID(peerURLs: peerURLs, clusterToken: token)
        if current.contains(where: { $0.id == id }) { throw StoreError.memberExists(id) }
        let member = ClusterMember(id: id, name: "", peerURLs: peerURLs, isLearner: isLearner)
        let after = try await change(ConfigChange(isLearner ? .addLearner : .addVoter, id, context: member.encoded))
        return (after.first { $0.id == id } ?? member, after)
    }

    /// Removes a member; a removed leader steps down once the change is applied.
    public func removeMember(id: UInt64) async throws -> [ClusterMember] {
        guard members.contains(where: { $0.id == id }) else { throw StoreError.memberNotFound(id) }
        return try await change(ConfigChange(.removeNode, id))
    }

    /// Changes a member's peer URLs.
    public func updateMember(id: UInt64, peerURLs: [String]) async throws -> [ClusterMember] {
        let current = members
        guard let member = current.first(where: { $0.id == id }) else { throw StoreError.memberNotFound(id) }
        for url in peerURLs where current.contains(where: { $0.id != id && $0.peerURLs.contains(url) }) {
            throw StoreError.peerURLExists(url)
        }
        let announced = ClusterMember(id: id, name: "", peerURLs: peerURLs, isLearner: member.isLearner)
        return try await change(
            ConfigChange(member.isLearner ? .addLearner : .addVoter, id, context: announced.encoded))
    }

    /// Makes a learner a voter, once its log is close to the leader's (etcd: within 10%).
    public func promoteMember(id: UInt64) async throws -> [ClusterMember] {
        guard let member = members.first(where: { $0.id == id }) else { throw StoreError.memberNotFound(id) }
        guard member.isLearner else { throw StoreError.memberNotLearner(id) }
        // Only the leader knows how far the learner's log is; a follower asks it, as etcd forwards the request.
        let ready: Bool
        if isLeader {
            ready = learnerIsReady(id) ?? false
        } else {
            ready = try await askLeader(.learnerReady, lease: Int64(bitPattern: id)).ttl == 1
        }
        if !ready { throw StoreError.learnerNotReady(id) }
        return try await change(ConfigChange(.addVoter, id))
    }

    /// Whether the learner's log has caught up (on the leader only; nil elsewhere).
    func learnerIsReady(_ id: UInt64) -> Bool? {
        let status = published.withLock { $0 }
        guard let match = progress(of: id) else { return nil }
        return Double(match) >= Double(status.lastIndex) * 0.9
    }

    private func progress(of id: UInt64) -> UInt64? {
        progressSnapshot.withLock { $0[id] }
    }

    private func change(_ change: ConfigChange) async throws -> [ClusterMember] {
        let deadline = now() + requestTimeout
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[ClusterMember], any Error>) in
            let pending = PendingConfigChange(deadline: deadline, completion: { continuation.resume(with: $0) })
            if !mailbox.post(.configChange(change, pending)) { continuation.resume(throwing: StoreError.stopped) }
        }
    }
}
