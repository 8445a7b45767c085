import EtcdAPI

/// A transaction: if every comparison holds, the `then` operations run, otherwise the `else` ones; all of it
/// atomically, at one revision.
///
/// ```swift
/// let txn = Txn()
///     .when(.version(key, .equal, 0))
///     .then(.put(key, value))
///     .orElse(.get(key))
/// ```
public struct Txn: Sendable {
    public var compares: [Compare] = []
    public var success: [TxnOp] = []
    public var failure: [TxnOp] = []

    public init(compares: [Compare] = [], success: [TxnOp] = [], failure: [TxnOp] = []) {
        self.compares = compares
        self.success = success
        self.failure = failure
    }

    public func when(_ compares: Compare...) -> Txn {
        var txn = self
        txn.compares += compares
        return txn
    }

    public func then(_ ops: TxnOp...) -> Txn {
        var txn = self
        txn.success += ops
        return txn
    }

    public func orElse(_ ops: TxnOp...) -> Txn {
        var txn = self
        txn.failure += ops
        return txn
    }

    /// Whether any operation, nested ones included, writes; a transaction of reads only may be retried.
    var isReadOnly: Bool {
        (success + failure).allSatisfy { op in
            switch op.kind {
            case .range: return true
            case .put, .delete: return false
            case .txn(let nested): return nested.isReadOnly
            }
        }
    }

    /// The bytes of keys and values the transaction carries.
    var payloadSize: Int {
        let compared = compares.reduce(0) { total, compare in
            let bounds = compare.keys.bounds
            var size = bounds.key.count + bounds.rangeEnd.count
            if case .value(let value) = compare.target { size += value.count }
            return total + size
        }
        return (success + failure).reduce(compared) { total, op in
            switch op.kind {
            case .range(let keys, _), .delete(let keys, _):
                return total + keys.bounds.key.count + keys.bounds.rangeEnd.count
            case .put(let key, let value, _): return total + key.count + value.count
            case .txn(let nested): return total + nested.payloadSize
            }
        }
    }

    var message: Etcdserverpb_TxnRequest {
        var request = Etcdserverpb_TxnRequest()
        request.compare = compares.map(\.message)
        request.success = success.map(\.message)
        request.failure = failure.map(\.message)
        return request
    }
}

/// The answer to a transaction: which branch ran, and one result per operation of that branch.
public struct TxnResult: Sendable {
    public indirect enum OpResult: Sendable {
        case range(RangeResult)
        case put(PutResult)
        case delete(DeleteResult)
        case txn(TxnResult)
        /// A response this client does not know.
        case unknown
    }

    public var header: ResponseHeader
    /// Whether the comparisons held (the `then` branch ran).
    public var succeeded: Bool
    public var responses: [OpResult]
    public var raw: Etcdserverpb_TxnResponse

    init(_ raw: Etcdserverpb_TxnResponse) {
        self.header = ResponseHeader(raw.header)
        self.succeeded = raw.succeeded
        self.responses = raw.responses.map { op in
            switch op.response {
            case .responseRange(let range): return .range(RangeResult(range))
            case .responsePut(let put): return .put(PutResult(put))
            case .responseDeleteRange(let delete): return .delete(DeleteResult(delete))
            case .responseTxn(let txn): return .txn(TxnResult(txn))
            case nil: return .unknown
            }
        }
        self.raw = raw
    }
}
