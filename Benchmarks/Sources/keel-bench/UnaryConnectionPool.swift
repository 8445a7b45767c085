import GRPCWire

/// The connections of a unary workload: `--conns` of them spread over the endpoints in turn (connection i to
/// endpoint i mod endpoints), each its own HTTP/2 connection, over the client `--client` chose. Workers
/// share them: worker w uses connection w mod count.
struct UnaryConnectionPool: Sendable {
    let connections: [UnaryKV]

    func kv(for worker: Int) -> UnaryKV { connections[worker % connections.count] }
}

/// Opens the connections `options` ask for over `endpoints` for the duration of `body` and closes them when
/// it returns or throws.
func withUnaryConnectionPool<R: Sendable>(
    _ endpoints: [Endpoint],
    options: WorkloadOptions,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (UnaryConnectionPool) async throws -> R
) async throws -> R {
    switch options.client {
    case .grpcSwift:
        return try await withConnectionPool(
            endpoints, count: options.conns, coalesceFlushes: options.coalesceFlushes, isolation: isolation
        ) { pool in
            let kvs = pool.connections.map { UnaryKV.grpcSwift(KVClient(wrapping: $0)) }
            return try await body(UnaryConnectionPool(connections: kvs))
        }
    case .lean:
        var connections: [GRPCWireConnection] = []
        do {
            for index in 0..<options.conns {
                let endpoint = endpoints[index % endpoints.count]
                connections.append(try await GRPCWireConnection.connect(host: endpoint.host, port: endpoint.port))
            }
            let result = try await body(UnaryConnectionPool(connections: connections.map { .lean($0) }))
            for connection in connections { await connection.close() }
            return result
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
    }
}
