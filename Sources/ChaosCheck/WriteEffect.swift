/// What a write operation does to the store when it takes effect, and what its outcome says about whether it
/// made a revision.
enum WriteEffect: Sendable, Hashable {
    /// Puts of these keys (value, lease) at one revision.
    case puts([String: PutEffect])
    case deleteKey(String)
    /// Deletes every key attached to the lease.
    case revoke(Int64)
    case none

    struct PutEffect: Sendable, Hashable {
        var value: String
        var lease: Int64
    }

    init(_ operation: HistoryOperation) {
        switch operation {
        case .put(let key, let value, let lease):
            self = .puts([key: PutEffect(value: value, lease: lease ?? 0)])
        case .multiPut(let puts):
            var effect: [String: PutEffect] = [:]
            for pair in puts { effect[pair.key] = PutEffect(value: pair.value, lease: 0) }
            self = .puts(effect)
        case .compareAndSet(let key, _, let value):
            self = .puts([key: PutEffect(value: value, lease: 0)])
        case .delete(let key):
            self = .deleteKey(key)
        case .leaseRevoke(let lease):
            self = .revoke(lease)
        case .get, .range, .leaseGrant:
            self = .none
        }
    }

    /// Whether the changes the history knows a revision made to each key are the effect itself; a revoke's
    /// key set is known only from what was seen.
    var isFullyKnown: Bool {
        switch self {
        case .puts, .deleteKey: true
        case .revoke, .none: false
        }
    }
}
