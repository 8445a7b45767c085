/// A read of the keys in a range, field for field etcd's `RangeRequest`.
public struct RangeRequest: Sendable {
    public enum SortOrder: Sendable { case none, ascend, descend }
    public enum SortTarget: Sendable { case key, version, create, mod, value }

    public var key: [UInt8]
    /// See `KeyRange` for the meaning of `key` with `rangeEnd`.
    public var rangeEnd: [UInt8] = []
    /// At most this many keys are returned; 0 for no limit.
    public var limit: Int64 = 0
    /// Read at this revision; 0 for the current one.
    public var revision: Int64 = 0
    public var sortOrder: SortOrder = .none
    public var sortTarget: SortTarget = .key
    /// Not used by the store itself (every local read is serializable); kept for the server layer.
    public var serializable = false
    public var keysOnly = false
    public var countOnly = false
    public var minModRevision: Int64 = 0
    public var maxModRevision: Int64 = 0
    public var minCreateRevision: Int64 = 0
    public var maxCreateRevision: Int64 = 0

    public init(
        key: [UInt8],
        rangeEnd: [UInt8] = [],
        limit: Int64 = 0,
        revision: Int64 = 0,
        sortOrder: SortOrder = .none,
        sortTarget: SortTarget = .key,
        serializable: Bool = false,
        keysOnly: Bool = false,
        countOnly: Bool = false,
        minModRevision: Int64 = 0,
        maxModRevision: Int64 = 0,
        minCreateRevision: Int64 = 0,
        maxCreateRevision: Int64 = 0
    ) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.limit = limit
        self.revision = revision
        self.sortOrder = sortOrder
        self.sortTarget = sortTarget
        self.serializable = serializable
        self.keysOnly = keysOnly
        self.countOnly = countOnly
        self.minModRevision = minModRevision
        self.maxModRevision = maxModRevision
        self.minCreateRevision = minCreateRevision
        self.maxCreateRevision = maxCreateRevision
    }

    var keyRange: KeyRange { KeyRange(key: key, rangeEnd: rangeEnd) }
}

/// The answer to a `RangeRequest`, as etcd's `RangeResponse` (the header is added by the server).
public struct RangeResponse: Equatable, Sendable {
    public var kvs: [KeyValue]
    /// Whether more keys matched than `limit` allowed to return.
    public var more: Bool
    /// Number of keys in the range at the revision read, before `limit` and the revision filters.
    public var count: Int64

    public init(kvs: [KeyValue] = [], more: Bool = false, count: Int64 = 0) {
        self.kvs = kvs
        self.more = more
        self.count = count
    }
}
