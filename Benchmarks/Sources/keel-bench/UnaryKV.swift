import EtcdAPI
import GRPCWire

/// The KV calls of the unary workloads, over whichever client `--client` chose. Both end a failed call with
/// an `RPCError`, so that failures are counted alike.
enum UnaryKV: Sendable {
    case lean(GRPCWireConnection)
    case grpcSwift(KVClient)

    func put(_ request: Etcdserverpb_PutRequest) async throws -> Etcdserverpb_PutResponse {
        switch self {
        case .lean(let connection): return try await connection.unary("/etcdserverpb.KV/Put", request)
        case .grpcSwift(let client): return try await client.put(request)
        }
    }

    func range(_ request: Etcdserverpb_RangeRequest) async throws -> Etcdserverpb_RangeResponse {
        switch self {
        case .lean(let connection): return try await connection.unary("/etcdserverpb.KV/Range", request)
        case .grpcSwift(let client): return try await client.range(request)
        }
    }

    func txn(_ request: Etcdserverpb_TxnRequest) async throws -> Etcdserverpb_TxnResponse {
        switch self {
        case .lean(let connection): return try await connection.unary("/etcdserverpb.KV/Txn", request)
        case .grpcSwift(let client): return try await client.txn(request)
        }
    }
}
