import EtcdAPI

/// Which member answered and at which store revision.
public struct ResponseHeader: Sendable, Hashable {
    public var clusterID: UInt64
    public var memberID: UInt64
    /// The key space's revision when the request was served.
    public var revision: Int64
    public var raftTerm: UInt64

    public init(clusterID: UInt64 = 0, memberID: UInt64 = 0, revision: Int64 = 0, raftTerm: UInt64 = 0) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.revision = revision
        self.raftTerm = raftTerm
    }

    init(_ raw: Etcdserverpb_ResponseHeader) {
        self.init(clusterID: raw.clusterID, memberID: raw.memberID, revision: raw.revision, raftTerm: raw.raftTerm)
    }
}
