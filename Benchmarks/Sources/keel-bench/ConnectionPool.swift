import EtcdAPI
import GRPCCore
import GRPCNIOTransportHTTP2

typealias GRPCConnection = GRPCClient<HTTP2ClientTransport.Posix>
typealias WatchClient = Etcdserverpb_Watch.Client<HTTP2ClientTransport.Posix>
typealias LeaseClient = Etcdserverpb_Lease.Client<HTTP2ClientTransport.Posix>

/// A fixed set of gRPC connections spread over the endpoints in turn (connection i to endpoint
/// i mod endpoints), each its own HTTP/2 transport, as etcd's benchmark opens `--conns` clients. Workers
/// share them: worker w uses connection w mod count.
struct ConnectionPool: Sendable {
    let connections: [GRPCConnection]
    let endpoints: [Endpoint]

    func connection(for worker: Int) -> GRPCConnection { connections[worker % connections.count] }
    func endpoint(for worker: Int) -> Endpoint { endpoints[worker % endpoints.count] }
    func kv(for worker: Int) -> KVClient { KVClient(wrapping: connection(for: worker)) }
    func watch(for worker: Int) -> WatchClient { WatchClient(wrapping: connection(for: worker)) }
    func lease(for worker: Int) -> LeaseClient { LeaseClient(wrapping: connection(for: worker)) }
}

/// Opens `count` connections over `endpoints` for the duration of `body` and closes them when it returns or
/// throws.
func withConnectionPool<R: Sendable>(
    _ endpoints: [Endpoint],
    count: Int,
    coalesceFlushes: Bool = false,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (ConnectionPool) async throws -> R
) async throws -> R {
    var connections: [GRPCConnection] = []
    var connected: [Endpoint] = []
    for index in 0..<count {
        let endpoint = endpoints[index % endpoints.count]
        let transport = try HTTP2ClientTransport.Posix(
            target: endpoint.target,
            transportSecurity: .plaintext,
            config: .defaults { config in
                // By default each request goes out at once rather than waiting to be coalesced with others.
                if !coalesceFlushes { config.connection.flushCoalescing = nil }
            }
        )
        connections.append(GRPCClient(transport: transport))
        connected.append(endpoint)
    }
    let pool = ConnectionPool(connections: connections, endpoints: connected)
    return try await withThrowingTaskGroup(of: Void.self, returning: R.self, isolation: isolation) { group in
        for connection in connections {
            group.addTask { try await connection.runConnections() }
        }
        defer {
            for connection in connections { connection.beginGracefulShutdown() }
        }
        return try await body(pool)
    }
}
