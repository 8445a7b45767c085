extension HistoryOperation {
    /// A short name for counting operations by kind.
    public var kindName: String {
        switch self {
        case .get(_, let serializable): serializable ? "get-serializable" : "get"
        case .range(_, _, let serializable): serializable ? "range-serializable" : "range"
        case .put: "put"
        case .delete: "delete"
        case .compareAndSet: "compare-and-set"
        case .multiPut: "multi-put"
        case .leaseGrant: "lease-grant"
        case .leaseRevoke: "lease-revoke"
        }
    }

    /// A compact human-readable form for violation messages.
    public var shortDescription: String {
        switch self {
        case .get(let key, let serializable): "get \"\(key)\"" + (serializable ? " serializable" : "")
        case .range(let start, let end, let serializable):
            "range [\(String(reflecting: start)), \(String(reflecting: end)))" + (serializable ? " serializable" : "")
        case .put(let key, let value, let lease):
            "put \"\(key)\" = \"\(value)\"" + (lease.map { " lease \($0)" } ?? "")
        case .delete(let key): "delete \"\(key)\""
        case .compareAndSet(let key, let expected, let value):
            "cas \"\(key)\" if mod \(expected) then \"\(value)\""
        case .multiPut(let puts): "multi-put " + puts.map { "\"\($0.key)\" = \"\($0.value)\"" }.joined(separator: ", ")
        case .leaseGrant(let lease, let ttl): "lease grant \(lease) ttl \(ttl)s"
        case .leaseRevoke(let lease): "lease revoke \(lease)"
        }
    }
}
