import EtcdAPI
import Foundation
import MVCC
import Store

// Translations between the wire messages and the MVCC layer's values. They are the only place that knows
// both vocabularies.

extension KeyValue {
    init(_ message: Mvccpb_KeyValue) {
        self.init(
            key: Array(message.key), createRevision: message.createRevision, modRevision: message.modRevision,
            version: message.version, value: Array(message.value), lease: message.lease)
    }

    var message: Mvccpb_KeyValue {
        var message = Mvccpb_KeyValue()
        message.key = Data(key)
        message.createRevision = createRevision
        message.modRevision = modRevision
        message.version = version
        message.value = Data(value)
        message.lease = lease
        return message
    }
}

extension Event {
    func message(withPrevious: Bool) -> Mvccpb_Event {
        var message = Mvccpb_Event()
        message.type = kind == .put ? .put : .delete
        message.kv = kv.message
        if withPrevious, let prevKV { message.prevKv = prevKV.message }
        return message
    }
}

extension RangeRequest {
    init(_ message: Etcdserverpb_RangeRequest) throws {
        self.init(key: Array(message.key))
        rangeEnd = Array(message.rangeEnd)
        limit = message.limit
        revision = message.revision
        switch message.sortOrder {
        case .none: sortOrder = .none
        case .ascend: sortOrder = .ascend
        case .descend: sortOrder = .descend
        case .UNRECOGNIZED: throw EtcdError.invalidSortOption
        }
        switch message.sortTarget {
        case .key: sortTarget = .key
        case .version: sortTarget = .version
        case .create: sortTarget = .create
        case .mod: sortTarget = .mod
        case .value: sortTarget = .value
        case .UNRECOGNIZED: throw EtcdError.invalidSortOption
        }
        serializable = message.serializable
        keysOnly = message.keysOnly
        countOnly = message.countOnly
        minModRevision = message.minModRevision
        maxModRevision = message.maxModRevision
        minCreateRevision = message.minCreateRevision
        maxCreateRevision = message.maxCreateRevision
    }
}

extension RangeResponse {
    func message(header: Etcdserverpb_ResponseHeader) -> Etcdserverpb_RangeResponse {
        var message = Etcdserverpb_RangeResponse()
        message.header = header
        message.kvs = kvs.map(\.message)
        message.more = more
        message.count = count
        return message
    }
}

extension PutRequest {
    init(_ message: Etcdserverpb_PutRequest) {
        self.init(key: Array(message.key), value: Array(message.value))
        lease = message.lease
        prevKV = message.prevKv
        ignoreValue = message.ignoreValue
        ignoreLease = message.ignoreLease
    }
}

extension PutResponse {
    func message(header: Etcdserverpb_ResponseHeader) -> Etcdserverpb_PutResponse {
        var message = Etcdserverpb_PutResponse()
        message.header = header
        if let prevKV { message.prevKv = prevKV.message }
        return message
    }
}

extension DeleteRangeRequest {
    init(_ message: Etcdserverpb_DeleteRangeRequest) {
        self.init(key: Array(message.key))
        rangeEnd = Array(message.rangeEnd)
        prevKV = message.prevKv
    }
}

extension DeleteRangeResponse {
    func message(header: Etcdserverpb_ResponseHeader) -> Etcdserverpb_DeleteRangeResponse {
        var message = Etcdserverpb_DeleteRangeResponse()
        message.header = header
        message.deleted = deleted
        message.prevKvs = prevKVs.map(\.message)
        return message
    }
}

extension Compare {
    init(_ message: Etcdserverpb_Compare) throws {
        let result: Compare.Result
        switch message.result {
        case .equal: result = .equal
        case .greater: result = .greater
        case .less: result = .less
        case .notEqual: result = .notEqual
        case .UNRECOGNIZED: throw EtcdError.invalidCompare
        }
        // The target enum names which field of the union is meant; an unset union compares against zero.
        let target: Compare.Target
        switch message.target {
        case .version: target = .version(message.version)
        case .create: target = .create(message.createRevision)
        case .mod: target = .mod(message.modRevision)
        case .value: target = .value(Array(message.value))
        case .lease: target = .lease(message.lease)
        case .UNRECOGNIZED: throw EtcdError.invalidCompare
        }
        self.init(key: Array(message.key), rangeEnd: Array(message.rangeEnd), result: result, target: target)
    }
}

extension TxnRequest {
    init(_ message: Etcdserverpb_TxnRequest) throws {
        self.init(
            compare: try message.compare.map(Compare.init),
            success: try message.success.map(RequestOp.init),
            failure: try message.failure.map(RequestOp.init))
    }
}

extension RequestOp {
    init(_ message: Etcdserverpb_RequestOp) throws {
        switch message.request {
        case .requestRange(let range): self = .range(try RangeRequest(range))
        case .requestPut(let put): self = .put(PutRequest(put))
        case .requestDeleteRange(let delete): self = .deleteRange(DeleteRangeRequest(delete))
        case .requestTxn(let txn): self = .txn(try TxnRequest(txn))
        case nil: throw EtcdError.emptyRequestOp
        }
    }
}

extension TxnResponse {
    func message(header: Etcdserverpb_ResponseHeader) -> Etcdserverpb_TxnResponse {
        var message = Etcdserverpb_TxnResponse()
        message.header = header
        message.succeeded = succeeded
        // Responses nested in a txn carry only the revision, as etcd's do.
        var nested = Etcdserverpb_ResponseHeader()
        nested.revision = header.revision
        message.responses = responses.map { $0.message(header: nested) }
        return message
    }
}

extension ResponseOp {
    func message(header: Etcdserverpb_ResponseHeader) -> Etcdserverpb_ResponseOp {
        var message = Etcdserverpb_ResponseOp()
        switch self {
        case .range(let range): message.response = .responseRange(range.message(header: header))
        case .put(let put): message.response = .responsePut(put.message(header: header))
        case .deleteRange(let delete): message.response = .responseDeleteRange(delete.message(header: header))
        case .txn(let txn): message.response = .responseTxn(txn.message(header: header))
        }
        return message
    }
}
