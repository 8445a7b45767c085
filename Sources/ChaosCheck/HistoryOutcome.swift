/// How an operation ended, as its client saw it.
public enum HistoryOutcome: Codable, Sendable, Hashable {
    /// The member answered; the response is what it said.
    case ok(HistoryResponse)
    /// The operation certainly had no effect (it was refused before it could be proposed).
    case failed(reason: String)
    /// The client stopped waiting (timeout, lost connection): the operation may or may not have taken
    /// effect, at any time after its invocation.
    case unknown(reason: String)
}

/// What a member answered. Fields that do not apply to the operation are empty or nil.
public struct HistoryResponse: Codable, Sendable, Hashable {
    /// The store revision in the response header.
    public var revision: Int64
    /// The key-values a get or range returned, in key order.
    public var kvs: [StoredValue]
    /// For a compare-and-set: whether the comparison held and the put was made.
    public var succeeded: Bool?
    /// For a delete or a lease revoke: the number of keys deleted, when the member reports it.
    public var deleted: Int64?

    public init(revision: Int64, kvs: [StoredValue] = [], succeeded: Bool? = nil, deleted: Int64? = nil) {
        self.revision = revision
        self.kvs = kvs
        self.succeeded = succeeded
        self.deleted = deleted
    }
}

/// A key-value as the store reports it.
public struct StoredValue: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public var createRevision: Int64
    public var modRevision: Int64
    public var version: Int64
    public var lease: Int64

    public init(key: String, value: String, createRevision: Int64, modRevision: Int64, version: Int64, lease: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }
}
