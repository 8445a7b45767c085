/// A key's state at one revision, field for field etcd's `mvccpb.KeyValue`.
public struct KeyValue: Equatable, Sendable {
    public var key: [UInt8]
    /// Revision of the put that created the key's current generation.
    public var createRevision: Int64
    /// Revision of the last change to the key.
    public var modRevision: Int64
    /// Number of puts in the current generation: 1 after creation, reset by deletion.
    public var version: Int64
    public var value: [UInt8]
    /// Lease the key is attached to, 0 for none.
    public var lease: Int64

    public init(
        key: [UInt8],
        createRevision: Int64 = 0,
        modRevision: Int64 = 0,
        version: Int64 = 0,
        value: [UInt8] = [],
        lease: Int64 = 0
    ) {
        self.key = key
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.value = value
        self.lease = lease
    }
}
