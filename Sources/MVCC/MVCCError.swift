/// Why the key space refused a request. Each case maps to one etcd error; `message` is etcd's text.
public enum MVCCError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Reading (or watching, or compacting) at a revision that compaction removed.
    case compacted(requested: Int64, compactedRevision: Int64)
    /// Reading (or compacting) at a revision not yet written.
    case futureRevision(requested: Int64, current: Int64)
    /// A request without a key.
    case emptyKey
    /// A put or revoke naming a lease that does not exist (also: granting lease id 0).
    case leaseNotFound(Int64)
    /// Granting a lease id that is taken.
    case leaseExists(Int64)
    /// A txn branch writing one key twice (put/put or put/delete).
    case duplicateKeyInTxn
    /// A key longer than `MVCCStore.maxKeySize` bytes.
    case keyTooLarge(Int)
    /// A put with `ignoreValue` that also carries a value.
    case valueProvided
    /// A put with `ignoreLease` that also carries a lease.
    case leaseProvided
    /// A put with `ignoreValue` or `ignoreLease` on a key that does not exist.
    case keyNotFoundForIgnore
    /// The storage engine failed; the text says what was being done.
    case storage(String)
    /// A state transfer payload (see `MVCCStore.replaceState`) that is truncated, damaged or of an unknown
    /// format; the store was not changed. The text says what is wrong.
    case invalidStatePayload(String)

    /// etcd's error text for this case.
    public var message: String {
        switch self {
        case .compacted: return "mvcc: required revision has been compacted"
        case .futureRevision: return "mvcc: required revision is a future revision"
        case .emptyKey: return "etcdserver: key is not provided"
        case .leaseNotFound: return "etcdserver: requested lease not found"
        case .leaseExists: return "etcdserver: lease already exists"
        case .duplicateKeyInTxn: return "etcdserver: duplicate key given in txn request"
        case .keyTooLarge: return "etcdserver: request is too large"
        case .valueProvided: return "etcdserver: value is provided"
        case .leaseProvided: return "etcdserver: lease is provided"
        case .keyNotFoundForIgnore: return "etcdserver: key not found"
        case .storage(let text): return "etcdserver: storage failure: \(text)"
        case .invalidStatePayload: return "mvcc: invalid state transfer payload"
        }
    }

    public var description: String {
        switch self {
        case .compacted(let requested, let compacted):
            return "\(message) (requested \(requested), compacted at \(compacted))"
        case .futureRevision(let requested, let current):
            return "\(message) (requested \(requested), current \(current))"
        case .leaseNotFound(let id), .leaseExists(let id):
            return "\(message) (\(id))"
        case .keyTooLarge(let size):
            return "\(message) (key of \(size) bytes, at most \(MVCCStore.maxKeySize))"
        case .invalidStatePayload(let why):
            return "\(message): \(why)"
        default:
            return message
        }
    }
}
