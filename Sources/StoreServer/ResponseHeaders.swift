import EtcdAPI
import Store

/// Builds the header every response carries: cluster id, member id, revision and Raft term.
struct ResponseHeaders: Sendable {
    let identity: MemberIdentity
    let term: @Sendable () -> UInt64

    func header(revision: Int64) -> Etcdserverpb_ResponseHeader {
        var header = Etcdserverpb_ResponseHeader()
        header.clusterID = identity.clusterID
        header.memberID = identity.memberID
        header.revision = revision
        header.raftTerm = term()
        return header
    }
}
