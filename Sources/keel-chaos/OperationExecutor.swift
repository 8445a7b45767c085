import ChaosCheck
import StoreClient

/// Sends one ``HistoryOperation`` to one member and turns the answer into a ``HistoryOutcome``.
///
/// Only refusals that prove the operation had no effect become `.failed`: the request never reached a
/// server, or the store rejected it for a reason checked before it is applied. Every other failure
/// (timeout, lost connection, no leader, leader changed) is `.unknown`, since the write may still commit.
enum OperationExecutor {
    static func execute(_ operation: HistoryOperation, on client: StoreClient) async -> HistoryOutcome {
        do throws(StoreClientError) {
            return .ok(try await response(operation, client))
        } catch {
            return outcome(of: error)
        }
    }

    private static func response(
        _ operation: HistoryOperation, _ client: StoreClient
    ) async throws(StoreClientError) -> HistoryResponse {
        switch operation {
        case .get(let key, let serializable):
            let result = try await client.range(.key(bytes(key)), options: RangeOptions(serializable: serializable))
            return HistoryResponse(revision: result.header.revision, kvs: result.kvs.map(stored))
        case .range(let start, let end, let serializable):
            let result = try await client.range(
                .interval(bytes(start), end: bytes(end)), options: RangeOptions(serializable: serializable))
            return HistoryResponse(revision: result.header.revision, kvs: result.kvs.map(stored))
        case .put(let key, let value, let leaseID):
            let result = try await client.put(bytes(key), bytes(value), lease: leaseID.flatMap(LeaseID.init))
            return HistoryResponse(revision: result.header.revision)
        case .delete(let key):
            let result = try await client.delete(.key(bytes(key)))
            return HistoryResponse(revision: result.header.revision, deleted: result.deleted)
        case .compareAndSet(let key, let expected, let value):
            let txn = Txn()
                .when(.modRevision(bytes(key), .equal, expected))
                .then(.put(bytes(key), bytes(value)))
            let result = try await client.txn(txn)
            return HistoryResponse(revision: result.header.revision, succeeded: result.succeeded)
        case .multiPut(let puts):
            let txn = Txn(success: puts.map { TxnOp.put(bytes($0.key), bytes($0.value)) })
            let result = try await client.txn(txn)
            return HistoryResponse(revision: result.header.revision, succeeded: result.succeeded)
        case .leaseGrant(let leaseID, let ttl):
            let result = try await client.grant(ttl: ttl, id: LeaseID(rawValue: leaseID))
            return HistoryResponse(revision: result.header.revision)
        case .leaseRevoke(let leaseID):
            let header = try await client.revoke(LeaseID(rawValue: leaseID))
            return HistoryResponse(revision: header.revision)
        }
    }

    static func outcome(of error: StoreClientError) -> HistoryOutcome {
        switch error.code {
        case .unavailable, .compacted, .futureRevision, .emptyKey, .keyNotFound, .valueProvided, .leaseProvided,
            .tooManyOperations, .duplicateKey, .invalidCompare, .invalidSortOption, .requestTooLarge, .noSpace,
            .leaseNotFound, .leaseExists, .leaseTTLTooLarge, .tooManyRequests, .invalidEndpoint, .closed:
            return .failed(reason: error.description)
        case .leaseExpired, .memberNotFound, .badLeaderTransferee, .noLeader, .notLeader, .leaderChanged,
            .serverStopped, .serverTimeout, .unhealthyCluster, .corrupt, .outcomeUnknown, .deadlineExceeded,
            .watchCanceled, .cancelled, .other:
            return .unknown(reason: error.description)
        }
    }

    static func stored(_ kv: KeyValue) -> StoredValue {
        StoredValue(
            key: String(decoding: kv.key, as: UTF8.self), value: kv.string, createRevision: kv.createRevision,
            modRevision: kv.modRevision, version: kv.version, lease: kv.lease?.rawValue ?? 0)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}
