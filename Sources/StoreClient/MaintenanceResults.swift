import EtcdAPI

/// What one member says about itself.
public struct EndpointStatus: Sendable {
    public var endpoint: Endpoint
    public var header: ResponseHeader
    public var version: String
    public var dbSize: Int64
    public var dbSizeInUse: Int64
    /// The member ID of the leader this member follows; 0 when it knows of none.
    public var leader: UInt64
    public var raftIndex: UInt64
    public var raftTerm: UInt64
    public var raftAppliedIndex: UInt64
    public var errors: [String]
    public var isLearner: Bool
    public var raw: Etcdserverpb_StatusResponse

    /// Whether this member is the leader.
    public var isLeader: Bool { leader != 0 && leader == header.memberID }

    init(_ raw: Etcdserverpb_StatusResponse, endpoint: Endpoint) {
        self.endpoint = endpoint
        self.header = ResponseHeader(raw.header)
        self.version = raw.version
        self.dbSize = raw.dbSize
        self.dbSizeInUse = raw.dbSizeInUse
        self.leader = raw.leader
        self.raftIndex = raw.raftIndex
        self.raftTerm = raw.raftTerm
        self.raftAppliedIndex = raw.raftAppliedIndex
        self.errors = raw.errors
        self.isLearner = raw.isLearner
        self.raw = raw
    }
}

/// A member of the cluster, as the cluster lists it.
public struct ClusterMember: Sendable, Hashable {
    public var id: UInt64
    /// Empty for a member added but not yet started.
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    init(_ raw: Etcdserverpb_Member) {
        self.id = raw.id
        self.name = raw.name
        self.peerURLs = raw.peerUrls
        self.clientURLs = raw.clientUrls
        self.isLearner = raw.isLearner
    }
}

/// The cluster's members.
public struct MemberList: Sendable {
    public var header: ResponseHeader
    public var members: [ClusterMember]
    public var raw: Etcdserverpb_MemberListResponse

    init(_ raw: Etcdserverpb_MemberListResponse) {
        self.header = ResponseHeader(raw.header)
        self.members = raw.members.map(ClusterMember.init)
        self.raw = raw
    }
}

/// A hash of the key space's history up to a revision; members at the same revision must agree.
public struct HashKV: Sendable {
    public var endpoint: Endpoint
    public var header: ResponseHeader
    public var hash: UInt32
    /// The compaction revision the hash starts after.
    public var compactRevision: Int64

    init(_ raw: Etcdserverpb_HashKVResponse, endpoint: Endpoint) {
        self.endpoint = endpoint
        self.header = ResponseHeader(raw.header)
        self.hash = raw.hash
        self.compactRevision = raw.compactRevision
    }
}

/// A raised alarm.
public struct Alarm: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The space quota is exhausted; writes are refused until space is freed and the alarm disarmed.
        case noSpace
        /// Members disagree about the key space.
        case corrupt
        case unknown(Int)
    }

    public var memberID: UInt64
    public var kind: Kind

    init(_ raw: Etcdserverpb_AlarmMember) {
        self.memberID = raw.memberID
        switch raw.alarm {
        case .nospace: self.kind = .noSpace
        case .corrupt: self.kind = .corrupt
        case .none: self.kind = .unknown(0)
        case .UNRECOGNIZED(let value): self.kind = .unknown(value)
        }
    }
}
