import Foundation
import Logging
import Prometheus
import StoreServer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A store member served in this process on a fixed loopback port and data directory, so that it can be
/// stopped and started again as the same member. The directory is removed by ``with(_:)``.
final class KeelMember: Sendable {
    let directory: URL
    let port: Int
    private let serving = Mutex<Task<Void, any Error>?>(nil)

    var endpoint: String { "127.0.0.1:\(port)" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-client-\(UUID().uuidString)")
        port = try freeLoopbackPort()
    }

    /// Runs `body` with a started member; stops it and removes its data afterwards.
    static func with<Result: Sendable>(_ body: @Sendable (KeelMember) async throws -> Result) async throws -> Result {
        let member = try KeelMember()
        defer { try? FileManager.default.removeItem(at: member.directory) }
        try await member.start()
        do {
            let result = try await body(member)
            await member.stop()
            return result
        } catch {
            await member.stop()
            throw error
        }
    }

    func start() async throws {
        var configuration = StoreServer.Configuration()
        configuration.store.dataDirectory = directory.path
        configuration.store.name = "client-test"
        configuration.listenClientAddresses = [ListenAddress(host: "127.0.0.1", port: port)]
        configuration.listenMetricsAddresses = []
        var logger = Logger(label: "keel.test")
        logger.logLevel = .warning
        let server = try StoreServer(
            configuration: configuration, registry: PrometheusCollectorRegistry(), logger: logger)
        serving.withLock { $0 = Task { try await server.run() } }
        try await waitUntilAccepting(port: port)
    }

    /// Stops serving and waits until the member has closed its data.
    func stop() async {
        let task = serving.withLock { task in
            defer { task = nil }
            return task
        }
        guard let task else { return }
        task.cancel()
        _ = try? await task.value
    }
}

func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = loopback(port: 0)
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

/// Polls until something accepts TCP connections on the loopback port, for at most `limit`.
func waitUntilAccepting(port: Int, limit: Duration = .seconds(20)) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        close(fd)
        if connected == 0 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw POSIXError(.ETIMEDOUT)
}

private func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return address
}
