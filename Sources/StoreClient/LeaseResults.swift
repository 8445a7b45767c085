import EtcdAPI

/// A lease just granted.
public struct LeaseGrant: Sendable {
    public var header: ResponseHeader
    public var id: LeaseID
    /// The TTL the store granted, in seconds (it may raise a TTL below its minimum).
    public var ttl: Int64
    public var raw: Etcdserverpb_LeaseGrantResponse

    init(_ raw: Etcdserverpb_LeaseGrantResponse) {
        self.header = ResponseHeader(raw.header)
        self.id = LeaseID(rawValue: raw.id)
        self.ttl = raw.ttl
        self.raw = raw
    }
}

/// A live lease's remaining time.
public struct LeaseTimeToLive: Sendable {
    public var header: ResponseHeader
    public var id: LeaseID
    /// Seconds left before the lease expires.
    public var ttl: Int64
    /// The TTL the lease was granted with.
    public var grantedTTL: Int64
    /// The keys attached to the lease, when asked for.
    public var keys: [[UInt8]]
    public var raw: Etcdserverpb_LeaseTimeToLiveResponse

    init(_ raw: Etcdserverpb_LeaseTimeToLiveResponse) {
        self.header = ResponseHeader(raw.header)
        self.id = LeaseID(rawValue: raw.id)
        self.ttl = raw.ttl
        self.grantedTTL = raw.grantedTtl
        self.keys = raw.keys.map { Array($0) }
        self.raw = raw
    }
}

/// One renewal of a lease.
public struct LeaseRenewal: Sendable {
    public var header: ResponseHeader
    public var id: LeaseID
    /// The lease's TTL again, in seconds, from the moment of the renewal.
    public var ttl: Int64

    init(_ raw: Etcdserverpb_LeaseKeepAliveResponse) {
        self.header = ResponseHeader(raw.header)
        self.id = LeaseID(rawValue: raw.id)
        self.ttl = raw.ttl
    }
}
