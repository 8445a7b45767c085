/// A write of one key, field for field etcd's `PutRequest`.
public struct PutRequest: Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// Lease to attach the key to; 0 for none (which also detaches it from its previous lease).
    public var lease: Int64
    /// Return the key's previous state.
    public var prevKV: Bool
    /// Keep the current value (`value` must then be empty; the key must exist).
    public var ignoreValue: Bool
    /// Keep the current lease (`lease` must then be 0; the key must exist).
    public var ignoreLease: Bool

    public init(
        key: [UInt8],
        value: [UInt8] = [],
        lease: Int64 = 0,
        prevKV: Bool = false,
        ignoreValue: Bool = false,
        ignoreLease: Bool = false
    ) {
        self.key = key
        self.value = value
        self.lease = lease
        self.prevKV = prevKV
        self.ignoreValue = ignoreValue
        self.ignoreLease = ignoreLease
    }
}

/// The answer to a `PutRequest`.
public struct PutResponse: Equatable, Sendable {
    /// The key's state before the put, when asked for and the key existed.
    public var prevKV: KeyValue?

    public init(prevKV: KeyValue? = nil) {
        self.prevKV = prevKV
    }
}
