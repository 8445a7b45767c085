import EtcdAPI
import Foundation

extension StoreClient {
    /// The key's current value (or its value at `revision`), `nil` if it does not exist.
    public func get(
        _ key: [UInt8], revision: Int64 = 0, serializable: Bool = false
    ) async throws(StoreClientError) -> KeyValue? {
        try await range(.key(key), options: RangeOptions(revision: revision, serializable: serializable)).kvs.first
    }

    /// The keys of `keys`, shaped by `options`. Retried on another endpoint when one fails.
    public func range(
        _ keys: KeyRange, options: RangeOptions = RangeOptions()
    ) async throws(StoreClientError) -> RangeResult {
        let request = options.request(for: keys)
        return try await perform(.safe) { [request] connection, options, _ in
            RangeResult(try await Etcdserverpb_KV.Client(wrapping: connection).range(request, options: options))
        }
    }

    /// Stores `value` under `key`, creating a new revision.
    @discardableResult
    public func put(
        _ key: [UInt8], _ value: [UInt8], lease: LeaseID? = nil, prevKV: Bool = false
    ) async throws(StoreClientError) -> PutResult {
        try await put(key, value, options: PutOptions(lease: lease, prevKV: prevKV))
    }

    @discardableResult
    public func put(
        _ key: [UInt8], _ value: [UInt8], options: PutOptions
    ) async throws(StoreClientError) -> PutResult {
        try checkSize(key.count + value.count)
        let request = options.request(key: key, value: value)
        return try await perform(.unsafe) { [request] connection, options, _ in
            PutResult(try await Etcdserverpb_KV.Client(wrapping: connection).put(request, options: options))
        }
    }

    /// Deletes the keys of `keys`; ``DeleteResult/deleted`` says how many existed.
    @discardableResult
    public func delete(_ keys: KeyRange, prevKV: Bool = false) async throws(StoreClientError) -> DeleteResult {
        let request = TxnOp.deleteRequest(keys, prevKV: prevKV)
        return try await perform(.unsafe) { [request] connection, options, _ in
            DeleteResult(try await Etcdserverpb_KV.Client(wrapping: connection).deleteRange(request, options: options))
        }
    }

    /// Runs a transaction. One that only reads is retried like a read.
    public func txn(_ txn: Txn) async throws(StoreClientError) -> TxnResult {
        try checkSize(txn.payloadSize)
        let request = txn.message
        return try await perform(txn.isReadOnly ? .safe : .unsafe) { connection, options, _ in
            TxnResult(try await Etcdserverpb_KV.Client(wrapping: connection).txn(request, options: options))
        }
    }

    /// Discards the history before `revision`. With `physical`, returns only once the space is reclaimed.
    @discardableResult
    public func compact(_ revision: Int64, physical: Bool = false) async throws(StoreClientError) -> ResponseHeader {
        var request = Etcdserverpb_CompactionRequest()
        request.revision = revision
        request.physical = physical
        return try await perform(.unsafe) { [request] connection, options, _ in
            ResponseHeader(
                try await Etcdserverpb_KV.Client(wrapping: connection).compact(request, options: options).header)
        }
    }

    /// etcd's clients refuse to send a request over their limit rather than let the connection fail on it;
    /// keys and values are what makes a request large.
    private func checkSize(_ payload: Int) throws(StoreClientError) {
        guard payload <= configuration.maxRequestBytes else {
            throw StoreClientError(
                code: .requestTooLarge,
                message: "the request carries \(payload) bytes, over the limit of \(configuration.maxRequestBytes)")
        }
    }
}
