import EtcdAPI
import GRPCCore
import GRPCNIOTransportHTTP2

typealias KVClient = Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>

/// Opens one gRPC connection (its own HTTP/2 transport) to `endpoint` for the duration of `body`.
///
/// `reconnectEvery` bounds the wait between connection attempts: a short one lets a caller notice a server
/// within that time of it starting to listen, instead of gRPC's default back-off of a second or more.
func withKVClient<R: Sendable>(
    _ endpoint: Endpoint,
    reconnectEvery: Duration? = nil,
    _ body: @escaping @Sendable (KVClient) async throws -> R
) async throws -> R {
    let transport = try HTTP2ClientTransport.Posix(
        target: endpoint.target,
        transportSecurity: .plaintext,
        config: .defaults { config in
            config.connection.flushCoalescing = nil
            if let reconnectEvery {
                config.backoff = .init(initial: reconnectEvery, max: reconnectEvery, multiplier: 1, jitter: 0)
            }
        }
    )
    return try await withGRPCClient(transport: transport) { client in
        try await body(KVClient(wrapping: client))
    }
}
