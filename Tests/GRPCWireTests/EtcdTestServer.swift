import EtcdAPI
import Foundation
import GRPCWire

import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A single-member etcd (`/usr/bin/etcd`) on 127.0.0.1 with ports found free and a data directory of its
/// own, for tests that need a real gRPC server. It is signalled by its PID only while it runs, and `stop()`
/// must be called whatever the test's outcome; it kills the process and removes the directory.
final class EtcdTestServer: @unchecked Sendable {
    // @unchecked: Process is only read (isRunning) after `run()`, which Foundation keeps consistent across threads.
    static let binary = "/usr/bin/etcd"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let clientPort: Int
    private let process: Process
    private let directory: URL

    var pid: Int32 { process.processIdentifier }
    var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("etcd.log"), encoding: .utf8)) ?? ""
    }

    private init(process: Process, directory: URL, clientPort: Int) {
        self.process = process
        self.directory = directory
        self.clientPort = clientPort
    }

    /// Starts etcd and waits (at most 30 s) until it answers a Range.
    static func start() async throws -> EtcdTestServer {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("grpcwire-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let clientPort = try await freePort()
        let peerPort = try await freePort()
        let logFile = directory.appendingPathComponent("etcd.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let output = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--name", "grpcwire", "--data-dir", directory.appendingPathComponent("data").path,
            "--listen-client-urls", "http://127.0.0.1:\(clientPort)",
            "--advertise-client-urls", "http://127.0.0.1:\(clientPort)",
            "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
            "--initial-cluster", "grpcwire=http://127.0.0.1:\(peerPort)",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try? output.close()
        let server = EtcdTestServer(process: process, directory: directory, clientPort: clientPort)
        do {
            try await server.waitUntilServing(within: .seconds(30))
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    func connect() async throws -> GRPCWireConnection {
        try await GRPCWireConnection.connect(host: "127.0.0.1", port: clientPort)
    }

    /// Sends `signal` while the process runs, so that it never reaches a later process given the same PID.
    func send(_ signal: Int32) {
        if process.isRunning { _ = Glibc.kill(pid, signal) }
    }

    /// SIGKILL, and a bounded wait for the process to end.
    func kill() {
        send(SIGKILL)
        for _ in 0..<500 where process.isRunning { usleep(10_000) }
    }

    /// Kills the process and removes its data.
    func stop() {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    private func waitUntilServing(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        var request = Etcdserverpb_RangeRequest()
        request.key = Data("ready".utf8)
        while true {
            var failure: (any Error)?
            do {
                let connection = try await connect()
                do {
                    _ = try await connection.unary(
                        "/etcdserverpb.KV/Range", request, as: Etcdserverpb_RangeResponse.self)
                } catch {
                    failure = error
                }
                await connection.close()
            } catch {
                failure = error
            }
            guard let failure else { return }
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw EtcdTestServerError(message: "etcd did not start serving: \(failure)\n\(log)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A port nothing listens on now: the kernel's choice for a listener that is closed at once.
    private static func freePort() async throws -> Int {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = listener.localAddress?.port
        try await listener.close()
        guard let port else { throw EtcdTestServerError(message: "could not bind a free port") }
        return port
    }
}

struct EtcdTestServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
