import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCWire

/// Runs `body` with grpc-swift's client connected to `server` (bound here, on loopback), with `grpc` serving
/// the calls it forwards; then shuts both down gracefully and waits for them.
func withLeanServer<Result: Sendable>(
    _ server: GRPCWireServer, forwardingTo grpc: GRPCServer<ForwardedStreamTransport>,
    _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> Result
) async throws -> Result {
    let address = try await server.bind()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await grpc.serve() }
        let transport = try HTTP2ClientTransport.Posix(
            target: .ipv4(address: "127.0.0.1", port: address.port!), transportSecurity: .plaintext,
            config: .defaults)
        let result = try await withGRPCClient(transport: transport) { client in
            try await body(client)
        }
        server.beginGracefulShutdown()
        grpc.beginGracefulShutdown()
        await server.close()
        try await group.waitForAll()
        return result
    }
}
