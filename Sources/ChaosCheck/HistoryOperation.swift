/// One client request of a chaos run, as the client issued it. Keys and values are UTF-8 strings so that a
/// history file reads as plain JSON.
public enum HistoryOperation: Codable, Sendable, Hashable {
    /// A single-key read; `serializable` reads may be served from a member's local state.
    case get(key: String, serializable: Bool)
    /// A read of the keys in `[start, end)`.
    case range(start: String, end: String, serializable: Bool)
    /// A put, attached to `leaseID` when it is not nil.
    case put(key: String, value: String, leaseID: Int64?)
    /// A delete of one key.
    case delete(key: String)
    /// A txn: if the key's mod revision equals `expectedModRevision` (0: the key does not exist), put `value`;
    /// otherwise do nothing.
    case compareAndSet(key: String, expectedModRevision: Int64, value: String)
    /// A txn that puts several keys at one revision.
    case multiPut(puts: [KeyValuePair])
    /// A lease grant; the lease id is chosen by the client so that later operations can name it.
    case leaseGrant(leaseID: Int64, ttlSeconds: Int64)
    /// A lease revoke, which deletes every key attached to the lease.
    case leaseRevoke(leaseID: Int64)

    /// The keys the operation reads or writes; nil for operations over a range or a lease, whose key set is
    /// known only from the history around them.
    public var keys: [String]? {
        switch self {
        case .get(let key, _), .put(let key, _, _), .delete(let key), .compareAndSet(let key, _, _):
            return [key]
        case .multiPut(let puts):
            return puts.map(\.key)
        case .range, .leaseGrant, .leaseRevoke:
            return nil
        }
    }

    /// Whether the operation can change the store.
    public var isWrite: Bool {
        switch self {
        case .get, .range: false
        case .put, .delete, .compareAndSet, .multiPut, .leaseGrant, .leaseRevoke: true
        }
    }
}

/// A key and the value to put at it.
public struct KeyValuePair: Codable, Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
