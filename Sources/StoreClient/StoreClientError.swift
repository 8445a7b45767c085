import GRPCCore

/// A failed store request, classified by what the caller can do about it.
///
/// Errors the server reported keep etcd's message and the gRPC status (``rpcError``) as context; errors
/// raised on the client side (no endpoint reachable, client closed, lease lost) have no status.
/// ``Code/outcomeUnknown`` is the one a writer must think about: the request may or may not have been
/// applied, and the client did not retry it.
public struct StoreClientError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        // The key space.
        /// The revision asked for is older than the last compaction; see ``StoreClientError/compactRevision``.
        case compacted
        /// The revision asked for has not been written yet.
        case futureRevision
        case emptyKey
        case keyNotFound
        case valueProvided
        case leaseProvided
        case tooManyOperations
        case duplicateKey
        case invalidCompare
        case invalidSortOption
        case requestTooLarge
        /// The store's space quota is exhausted (alarm NOSPACE); only reads and deletes succeed.
        case noSpace
        // Leases.
        case leaseNotFound
        case leaseExists
        case leaseTTLTooLarge
        /// A keep-alive could not renew the lease before its TTL ran out; it must be assumed expired.
        case leaseExpired
        // Cluster.
        case memberNotFound
        case badLeaderTransferee
        case noLeader
        case notLeader
        case leaderChanged
        case tooManyRequests
        case serverStopped
        case serverTimeout
        case unhealthyCluster
        case corrupt
        // Client side.
        /// No endpoint could be reached: the request certainly was not applied.
        case unavailable
        /// The connection failed after the request may have reached a server: a write may have been applied.
        case outcomeUnknown
        /// No answer within the request timeout.
        case deadlineExceeded
        /// A watch the server cancelled for a reason other than compaction.
        case watchCanceled
        case invalidEndpoint
        case closed
        case cancelled
        /// Any other status from the server or the transport; see ``StoreClientError/rpcError``.
        case other
    }

    public var code: Code
    public var message: String
    /// For ``Code/compacted``: the revision the key space is compacted at, when the server said.
    public var compactRevision: Int64?
    /// The gRPC status behind the error, when there was one.
    public var rpcError: RPCError?
    /// The endpoint that answered or failed, when one did.
    public var endpoint: Endpoint?

    public init(
        code: Code, message: String, compactRevision: Int64? = nil, rpcError: RPCError? = nil,
        endpoint: Endpoint? = nil
    ) {
        self.code = code
        self.message = message
        self.compactRevision = compactRevision
        self.rpcError = rpcError
        self.endpoint = endpoint
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let endpoint { text += " (\(endpoint))" }
        return text
    }

    /// Classifies a status as etcd's clients do: by the server's message where it is etcd's, else by code.
    public init(_ error: RPCError, endpoint: Endpoint? = nil) {
        let code = Self.etcdMessages[error.message] ?? Self.code(for: error)
        self.init(code: code, message: error.message, rpcError: error, endpoint: endpoint)
    }

    private static func code(for error: RPCError) -> Code {
        switch error.code {
        case .deadlineExceeded: return .deadlineExceeded
        case .cancelled: return .cancelled
        case .unavailable: return .unavailable
        case .resourceExhausted where error.message.contains("larger than"): return .requestTooLarge
        default: return .other
        }
    }

    /// etcd's server messages (api/v3rpc/rpctypes), which its clients match on verbatim.
    private static let etcdMessages: [String: Code] = [
        "etcdserver: mvcc: required revision has been compacted": .compacted,
        "etcdserver: mvcc: required revision is a future revision": .futureRevision,
        "etcdserver: key is not provided": .emptyKey,
        "etcdserver: key not found": .keyNotFound,
        "etcdserver: value is provided": .valueProvided,
        "etcdserver: lease is provided": .leaseProvided,
        "etcdserver: too many operations in txn request": .tooManyOperations,
        "etcdserver: duplicate key given in txn request": .duplicateKey,
        "etcdserver: invalid compare": .invalidCompare,
        "etcdserver: invalid sort option": .invalidSortOption,
        "etcdserver: request is too large": .requestTooLarge,
        "etcdserver: mvcc: database space exceeded": .noSpace,
        "etcdserver: requested lease not found": .leaseNotFound,
        "etcdserver: lease already exists": .leaseExists,
        "etcdserver: too large lease TTL": .leaseTTLTooLarge,
        "etcdserver: member not found": .memberNotFound,
        "etcdserver: bad leader transferee": .badLeaderTransferee,
        "etcdserver: no leader": .noLeader,
        "etcdserver: not leader": .notLeader,
        "etcdserver: leader changed": .leaderChanged,
        "etcdserver: too many requests": .tooManyRequests,
        "etcdserver: server stopped": .serverStopped,
        "etcdserver: request timed out": .serverTimeout,
        "etcdserver: request timed out, possibly due to previous leader failure": .serverTimeout,
        "etcdserver: request timed out, possibly due to connection lost": .serverTimeout,
        "etcdserver: request timed out, waiting for the applied index took too long": .serverTimeout,
        "etcdserver: unhealthy cluster": .unhealthyCluster,
        "etcdserver: corrupt cluster": .corrupt,
    ]

    static let closedClient = StoreClientError(code: .closed, message: "the client is closed")

    static func compacted(at revision: Int64, endpoint: Endpoint?) -> StoreClientError {
        StoreClientError(
            code: .compacted, message: "etcdserver: mvcc: required revision has been compacted",
            compactRevision: revision, endpoint: endpoint)
    }
}
