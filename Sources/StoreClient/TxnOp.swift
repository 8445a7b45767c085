import EtcdAPI
import Foundation

/// One operation in a branch of a transaction.
public struct TxnOp: Sendable {
    enum Kind: Sendable {
        case range(KeyRange, RangeOptions)
        case put(key: [UInt8], value: [UInt8], options: PutOptions)
        case delete(KeyRange, prevKV: Bool)
        case txn(Txn)
    }

    let kind: Kind

    public static func get(_ key: [UInt8]) -> TxnOp {
        TxnOp(kind: .range(.key(key), RangeOptions()))
    }

    public static func range(_ keys: KeyRange, options: RangeOptions = RangeOptions()) -> TxnOp {
        TxnOp(kind: .range(keys, options))
    }

    public static func put(_ key: [UInt8], _ value: [UInt8], lease: LeaseID? = nil, prevKV: Bool = false) -> TxnOp {
        TxnOp(kind: .put(key: key, value: value, options: PutOptions(lease: lease, prevKV: prevKV)))
    }

    public static func put(_ key: [UInt8], _ value: [UInt8], options: PutOptions) -> TxnOp {
        TxnOp(kind: .put(key: key, value: value, options: options))
    }

    public static func delete(_ keys: KeyRange, prevKV: Bool = false) -> TxnOp {
        TxnOp(kind: .delete(keys, prevKV: prevKV))
    }

    /// A nested transaction (etcd 3.3 and later).
    public static func txn(_ txn: Txn) -> TxnOp {
        TxnOp(kind: .txn(txn))
    }

    var message: Etcdserverpb_RequestOp {
        var op = Etcdserverpb_RequestOp()
        switch kind {
        case .range(let keys, let options):
            op.request = .requestRange(options.request(for: keys))
        case .put(let key, let value, let options):
            op.request = .requestPut(options.request(key: key, value: value))
        case .delete(let keys, let prevKV):
            op.request = .requestDeleteRange(Self.deleteRequest(keys, prevKV: prevKV))
        case .txn(let txn):
            op.request = .requestTxn(txn.message)
        }
        return op
    }

    static func deleteRequest(_ keys: KeyRange, prevKV: Bool) -> Etcdserverpb_DeleteRangeRequest {
        var request = Etcdserverpb_DeleteRangeRequest()
        let bounds = keys.bounds
        request.key = Data(bounds.key)
        request.rangeEnd = Data(bounds.rangeEnd)
        request.prevKv = prevKV
        return request
    }
}

/// What a put carries besides its key and value.
public struct PutOptions: Sendable, Hashable {
    /// Attach the key to this lease; `nil` detaches it from any lease.
    public var lease: LeaseID?
    /// Return the key as it was before the put.
    public var prevKV: Bool
    /// Keep the current value and change only the lease (the key must exist).
    public var ignoreValue: Bool
    /// Keep the current lease and change only the value (the key must exist).
    public var ignoreLease: Bool

    public init(lease: LeaseID? = nil, prevKV: Bool = false, ignoreValue: Bool = false, ignoreLease: Bool = false) {
        self.lease = lease
        self.prevKV = prevKV
        self.ignoreValue = ignoreValue
        self.ignoreLease = ignoreLease
    }

    func request(key: [UInt8], value: [UInt8]) -> Etcdserverpb_PutRequest {
        var request = Etcdserverpb_PutRequest()
        request.key = Data(key)
        request.value = Data(value)
        request.lease = lease?.rawValue ?? 0
        request.prevKv = prevKV
        request.ignoreValue = ignoreValue
        request.ignoreLease = ignoreLease
        return request
    }
}
