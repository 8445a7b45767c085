import EtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Prometheus
import StoreServer

/// A store member served in this process on a free loopback port, in a temporary data directory that is
/// removed when the test ends.
struct TestMember {
    let directory: URL
    let port: Int

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs `body` with a client connected to a fresh member; stops the member afterwards.
    static func with<Result: Sendable>(
        configure: (inout StoreServer.Configuration) -> Void = { _ in },
        _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>, StoreServer) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = try freePort()
        var configuration = StoreServer.Configuration()
        configuration.store.dataDirectory = directory.path
        configuration.store.name = "test"
        configuration.listenClientAddresses = [ListenAddress(host: "127.0.0.1", port: port)]
        configuration.listenMetricsAddresses = []
        configure(&configuration)
        var logger = Logger(label: "keel.test")
        logger.logLevel = .warning
        let server = try StoreServer(configuration: configuration, registry: PrometheusCollectorRegistry(), logger: logger)
        let serving = Task { try await server.run() }
        defer { serving.cancel() }
        let result = try await withGRPCClient(
            transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
        ) { client in
            try await waitUntilServing(client)
            return try await body(client, server)
        }
        serving.cancel()
        _ = try? await serving.value
        return result
    }

    private static func waitUntilServing(_ client: GRPCClient<HTTP2ClientTransport.Posix>) async throws {
        let maintenance = Etcdserverpb_Maintenance.Client(wrapping: client)
        var lastError: (any Error)?
        for _ in 0..<100 {
            do {
                _ = try await maintenance.status(Etcdserverpb_StatusRequest())
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw lastError ?? CancellationError()
    }
}
