import EtcdAPI
import GRPCCore
import Store

/// etcd's `Cluster` service: the member list from the replicated state, and membership changes, each one
/// Raft configuration change answered once this member has applied it.
struct ClusterService: Etcdserverpb_Cluster.SimpleServiceProtocol {
    let member: StoreMember
    let headers: ResponseHeaders

    static func message(_ cluster: ClusterMember) -> Etcdserverpb_Member {
        var message = Etcdserverpb_Member()
        message.id = cluster.id
        message.name = cluster.name
        message.peerUrls = cluster.peerURLs
        message.clientUrls = cluster.clientURLs
        message.isLearner = cluster.isLearner
        return message
    }

    func memberList(
        request: Etcdserverpb_MemberListRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberListResponse {
        if request.linearizable {
            do { try await member.linearizableBarrier() } catch { throw EtcdError.from(error) }
        }
        var response = Etcdserverpb_MemberListResponse()
        // Cluster responses are not tied to a revision of the key space: etcd leaves it at zero.
        response.header = headers.header(revision: 0)
        response.members = member.members.map(Self.message)
        return response
    }

    func memberAdd(
        request: Etcdserverpb_MemberAddRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberAddResponse {
        guard !request.peerUrls.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "etcdserver: peer URLs are not provided")
        }
        for url in request.peerUrls where !Self.isValidPeerURL(url) {
            throw RPCError(code: .invalidArgument, message: "etcdserver: invalid peer URL \(url)")
        }
        do {
            let (added, members) = try await member.addMember(peerURLs: request.peerUrls, isLearner: request.isLearner)
            var response = Etcdserverpb_MemberAddResponse()
            response.header = headers.header(revision: 0)
            response.member = Self.message(added)
            response.members = members.map(Self.message)
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func memberRemove(
        request: Etcdserverpb_MemberRemoveRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberRemoveResponse {
        do {
            let members = try await member.removeMember(id: request.id)
            var response = Etcdserverpb_MemberRemoveResponse()
            response.header = headers.header(revision: 0)
            response.members = members.map(Self.message)
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func memberUpdate(
        request: Etcdserverpb_MemberUpdateRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberUpdateResponse {
        for url in request.peerUrls where !Self.isValidPeerURL(url) {
            throw RPCError(code: .invalidArgument, message: "etcdserver: invalid peer URL \(url)")
        }
        do {
            let members = try await member.updateMember(id: request.id, peerURLs: request.peerUrls)
            var response = Etcdserverpb_MemberUpdateResponse()
            response.header = headers.header(revision: 0)
            response.members = members.map(Self.message)
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func memberPromote(
        request: Etcdserverpb_MemberPromoteRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberPromoteResponse {
        do {
            let members = try await member.promoteMember(id: request.id)
            var response = Etcdserverpb_MemberPromoteResponse()
            response.header = headers.header(revision: 0)
            response.members = members.map(Self.message)
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    static func isValidPeerURL(_ url: String) -> Bool {
        (url.hasPrefix("http://") || url.hasPrefix("https://")) && url.split(separator: ":").count == 3
    }
}
