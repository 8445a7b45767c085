import EtcdAPI
import GRPCCore
import Store

/// etcd's `Cluster` service for a member that runs alone: it lists itself; membership changes need the
/// replicated store and are refused with a clear error.
struct ClusterService: Etcdserverpb_Cluster.SimpleServiceProtocol {
    let member: StoreMember
    let headers: ResponseHeaders

    private var selfMember: Etcdserverpb_Member {
        var message = Etcdserverpb_Member()
        message.id = member.identity.memberID
        message.name = member.identity.name
        message.peerUrls = member.configuration.peerURLs
        message.clientUrls = member.configuration.clientURLs
        message.isLearner = false
        return message
    }

    func memberList(
        request: Etcdserverpb_MemberListRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberListResponse {
        var response = Etcdserverpb_MemberListResponse()
        // Cluster responses are not tied to a revision of the key space: etcd leaves it at zero.
        response.header = headers.header(revision: 0)
        response.members = [selfMember]
        return response
    }

    func memberAdd(
        request: Etcdserverpb_MemberAddRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberAddResponse {
        throw Self.membershipUnsupported
    }

    func memberRemove(
        request: Etcdserverpb_MemberRemoveRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberRemoveResponse {
        if request.id != member.identity.memberID { throw EtcdError.memberNotFound }
        throw Self.membershipUnsupported
    }

    func memberUpdate(
        request: Etcdserverpb_MemberUpdateRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberUpdateResponse {
        if request.id != member.identity.memberID { throw EtcdError.memberNotFound }
        throw Self.membershipUnsupported
    }

    func memberPromote(
        request: Etcdserverpb_MemberPromoteRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MemberPromoteResponse {
        if request.id != member.identity.memberID { throw EtcdError.memberNotFound }
        throw RPCError(code: .failedPrecondition, message: "etcdserver: can only promote a learner member")
    }

    static let membershipUnsupported = RPCError(
        code: .failedPrecondition,
        message: "etcdserver: membership changes need a replicated cluster; this member runs alone")
}
