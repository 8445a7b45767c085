import EtcdAPI
import MVCC

/// etcd's checks on a request before it is accepted, with the same errors and in the same order.
struct RequestValidation: Sendable {
    var maxRequestBytes: Int
    var maxTxnOps: Int

    func check(_ request: Etcdserverpb_RangeRequest) throws {
        if request.key.isEmpty { throw EtcdError.emptyKey }
        if case .UNRECOGNIZED = request.sortOrder { throw EtcdError.invalidSortOption }
        if case .UNRECOGNIZED = request.sortTarget { throw EtcdError.invalidSortOption }
    }

    func check(_ request: Etcdserverpb_PutRequest) throws {
        if request.key.isEmpty { throw EtcdError.emptyKey }
        if request.ignoreValue && !request.value.isEmpty { throw EtcdError.valueProvided }
        if request.ignoreLease && request.lease != 0 { throw EtcdError.leaseProvided }
    }

    func check(_ request: Etcdserverpb_DeleteRangeRequest) throws {
        if request.key.isEmpty { throw EtcdError.emptyKey }
    }

    func check(_ request: Etcdserverpb_TxnRequest) throws {
        if request.compare.count > maxTxnOps || request.success.count > maxTxnOps
            || request.failure.count > maxTxnOps
        {
            throw EtcdError.tooManyOps
        }
        for compare in request.compare where compare.key.isEmpty { throw EtcdError.emptyKey }
        for op in request.success { try check(op) }
        for op in request.failure { try check(op) }
    }

    private func check(_ op: Etcdserverpb_RequestOp) throws {
        switch op.request {
        case .requestRange(let range): try check(range)
        case .requestPut(let put): try check(put)
        case .requestDeleteRange(let delete): try check(delete)
        case .requestTxn(let txn): try check(txn)
        case nil: throw EtcdError.emptyRequestOp
        }
    }

    /// The size a write takes in the log, which etcd limits to `--max-request-bytes`.
    func checkSize(_ size: Int) throws {
        if size > maxRequestBytes { throw EtcdError.requestTooLarge }
    }
}

extension Etcdserverpb_PutRequest {
    /// The encoded size of the request plus the envelope a log entry adds.
    var logSize: Int { key.count + value.count + 24 }
}

extension Etcdserverpb_TxnRequest {
    var logSize: Int {
        var size = 16
        for compare in self.compare { size += compare.key.count + compare.rangeEnd.count + compare.value.count + 16 }
        for op in success + failure {
            switch op.request {
            case .requestPut(let put): size += put.logSize
            case .requestRange(let range): size += range.key.count + range.rangeEnd.count + 32
            case .requestDeleteRange(let delete): size += delete.key.count + delete.rangeEnd.count + 8
            case .requestTxn(let txn): size += txn.logSize
            case nil: size += 2
            }
        }
        return size
    }
}
