import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real single-member etcd started on free loopback ports in a temporary data directory.
struct EtcdProcess: Sendable {
    let pid: Int32
    let port: Int
    let directory: URL

    var endpoint: String { "127.0.0.1:\(port)" }

    static var isInstalled: Bool { executable != nil }

    private static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/etcd" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Runs `body` with a started etcd; kills it (by its PID) and removes its data afterwards.
    static func with<Result: Sendable>(_ body: @Sendable (EtcdProcess) async throws -> Result) async throws -> Result {
        let etcd = try start()
        defer { etcd.stop() }
        try await waitUntilAccepting(port: etcd.port)
        return try await body(etcd)
    }

    private static func start() throws -> EtcdProcess {
        guard let executable else { throw POSIXError(.ENOENT) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "etcd-client-\(UUID().uuidString)")
        let clientPort = try freeLoopbackPort()
        let peerPort = try freeLoopbackPort()
        let client = "http://127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--name", "client-test", "--data-dir", directory.path,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "client-test=\(peer)", "--log-level", "error",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return EtcdProcess(pid: process.processIdentifier, port: clientPort, directory: directory)
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        try? FileManager.default.removeItem(at: directory)
    }
}
