/// A deletion of the keys in a range, field for field etcd's `DeleteRangeRequest`.
public struct DeleteRangeRequest: Sendable {
    public var key: [UInt8]
    /// See `KeyRange` for the meaning of `key` with `rangeEnd`.
    public var rangeEnd: [UInt8]
    /// Return the deleted keys' last states.
    public var prevKV: Bool

    public init(key: [UInt8], rangeEnd: [UInt8] = [], prevKV: Bool = false) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.prevKV = prevKV
    }

    var keyRange: KeyRange { KeyRange(key: key, rangeEnd: rangeEnd) }
}

/// The answer to a `DeleteRangeRequest`.
public struct DeleteRangeResponse: Equatable, Sendable {
    public var deleted: Int64
    /// The deleted keys' last states, in key order, when asked for.
    public var prevKVs: [KeyValue]

    public init(deleted: Int64 = 0, prevKVs: [KeyValue] = []) {
        self.deleted = deleted
        self.prevKVs = prevKVs
    }
}
