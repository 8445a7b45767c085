import EtcdAPI

/// The answer to a range read.
public struct RangeResult: Sendable {
    public var header: ResponseHeader
    public var kvs: [KeyValue]
    /// Whether the limit left keys out.
    public var more: Bool
    /// How many keys the range holds, regardless of the limit.
    public var count: Int64
    /// The message as received.
    public var raw: Etcdserverpb_RangeResponse

    init(_ raw: Etcdserverpb_RangeResponse) {
        self.header = ResponseHeader(raw.header)
        self.kvs = raw.kvs.map(KeyValue.init)
        self.more = raw.more
        self.count = raw.count
        self.raw = raw
    }
}

/// The answer to a put.
public struct PutResult: Sendable {
    /// `header.revision` is the revision the put created.
    public var header: ResponseHeader
    /// The key before the put, when asked for and the key existed.
    public var previous: KeyValue?
    public var raw: Etcdserverpb_PutResponse

    init(_ raw: Etcdserverpb_PutResponse) {
        self.header = ResponseHeader(raw.header)
        self.previous = raw.hasPrevKv ? KeyValue(raw.prevKv) : nil
        self.raw = raw
    }
}

/// The answer to a delete.
public struct DeleteResult: Sendable {
    public var header: ResponseHeader
    public var deleted: Int64
    /// The deleted keys, when asked for.
    public var previous: [KeyValue]
    public var raw: Etcdserverpb_DeleteRangeResponse

    init(_ raw: Etcdserverpb_DeleteRangeResponse) {
        self.header = ResponseHeader(raw.header)
        self.deleted = raw.deleted
        self.previous = raw.prevKvs.map(KeyValue.init)
        self.raw = raw
    }
}
