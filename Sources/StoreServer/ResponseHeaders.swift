import EtcdAPI
import Store

/// Builds the header every response carries: cluster id, member id, revision and Raft term, as the member
/// knows them when the response is made (a member that joined a cluster learns the cluster id from it).
struct ResponseHeaders: Sendable {
    let member: StoreMember

    func header(revision: Int64) -> Etcdserverpb_ResponseHeader {
        var header = Etcdserverpb_ResponseHeader()
        let identity = member.identity
        header.clusterID = identity.clusterID
        header.memberID = identity.memberID
        header.revision = revision
        header.raftTerm = member.raftTerm
        return header
    }
}
