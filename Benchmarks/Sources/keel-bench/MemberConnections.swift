import EtcdAPI
import GRPCCore
import GRPCNIOTransportHTTP2

typealias MaintenanceClient = Etcdserverpb_Maintenance.Client<HTTP2ClientTransport.Posix>

/// The KV and Maintenance clients of one member, sharing one connection.
struct MemberClient: Sendable {
    let endpoint: Endpoint
    let kv: KVClient
    let maintenance: MaintenanceClient
}

/// Opens one long-lived connection per endpoint for the duration of `body`, each reconnecting every
/// `reconnectEvery` while its server is down, so that a member that restarts is reached again at once rather
/// than after gRPC's growing back-off. The connections close when `body` returns or throws.
func withMemberClients<R: Sendable>(
    _ endpoints: [Endpoint],
    reconnectEvery: Duration,
    isolation: isolated (any Actor)? = #isolation,
    _ body: ([MemberClient]) async throws -> R
) async throws -> R {
    var clients: [GRPCClient<HTTP2ClientTransport.Posix>] = []
    for endpoint in endpoints {
        let transport = try HTTP2ClientTransport.Posix(
            target: endpoint.target,
            transportSecurity: .plaintext,
            config: .defaults { config in
                config.connection.flushCoalescing = nil
                config.backoff = .init(initial: reconnectEvery, max: reconnectEvery, multiplier: 1, jitter: 0)
            }
        )
        clients.append(GRPCClient(transport: transport))
    }
    let connections = clients
    let members = zip(endpoints, connections).map { endpoint, client in
        MemberClient(endpoint: endpoint, kv: KVClient(wrapping: client), maintenance: MaintenanceClient(wrapping: client))
    }
    return try await withThrowingTaskGroup(of: Void.self, returning: R.self, isolation: isolation) { group in
        for client in connections {
            group.addTask { try await client.runConnections() }
        }
        defer {
            for client in connections { client.beginGracefulShutdown() }
        }
        return try await body(members)
    }
}
