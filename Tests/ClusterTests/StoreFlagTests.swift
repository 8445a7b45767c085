import Foundation
import Testing

/// `keel store` and `keel up` refuse inconsistent cluster flags before they touch any data, with etcd's words.
@Suite("Cluster flags of keel store and keel up")
struct StoreFlagTests {
    /// Runs `keel` to completion (at most 20 s) in a scratch directory; its exit status and standard error.
    private func keel(_ arguments: [String]) async throws -> (status: Int32, errors: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-flags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = try ChildProcess.start(
            KeelBinary.path, arguments + ["--data-dir", directory.appendingPathComponent("data").path],
            outputFile: directory.appendingPathComponent("out"), errorFile: directory.appendingPathComponent("err"))
        defer { process.killNow() }
        let ended = await process.waitForExit(within: .seconds(20))
        #expect(ended, "keel \(arguments.joined(separator: " ")) did not end: \(process.errors)")
        return (process.termination?.status ?? -1, process.errors)
    }

    private static let peers = "--initial-advertise-peer-urls"
    private static let twoMembers = "m1=http://127.0.0.1:1,m2=http://127.0.0.1:2"

    @Test(
        "keel store refuses cluster flags that etcd refuses, with etcd's message",
        arguments: [
            (
                ["--name", "m4", "--initial-cluster", twoMembers, peers, "http://127.0.0.1:1"],
                "couldn't find local name \"m4\" in the initial cluster configuration"
            ),
            (
                ["--name", "m1", "--initial-cluster", twoMembers, peers, "http://127.0.0.1:3"],
                "--initial-cluster has m1=http://127.0.0.1:1 but missing from "
                    + "--initial-advertise-peer-urls=http://127.0.0.1:3"
            ),
            (
                ["--name", "m1", "--initial-cluster", twoMembers, peers, "http://127.0.0.1:1,http://127.0.0.1:4"],
                "--initial-advertise-peer-urls has http://127.0.0.1:4 but missing from "
                    + "--initial-cluster=m1=http://127.0.0.1:1,m1=http://127.0.0.1:4"
            ),
            (
                [
                    "--name", "m1", "--initial-cluster", "m1=http://127.0.0.1:1,m2=http://127.0.0.1:1", peers,
                    "http://127.0.0.1:1",
                ],
                "initial cluster m1=http://127.0.0.1:1,m2=http://127.0.0.1:1 has duplicate url"
            ),
            (
                ["--name", "m1", "--initial-cluster", "m1=127.0.0.1:1", peers, "http://127.0.0.1:1"],
                "URL scheme must be http, https, unix, or unixs: 127.0.0.1:1"
            ),
            (
                ["--heartbeat-interval", "200", "--election-timeout", "500"],
                "--election-timeout[500ms] should be at least as 5 times as --heartbeat-interval[200ms]"
            ),
            (
                ["--heartbeat-interval", "100", "--election-timeout", "60000"],
                "--election-timeout[60000ms] is too long, and should be set less than 50000ms"
            ),
            (["--initial-cluster-state", "old"], "--initial-cluster-state must be new or existing, not old"),
            (["--snapshot-count", "0"], "--snapshot-count must be >0 (set to 0)"),
            // Go's boolean spellings are read as etcd reads them: the next error is the one reported.
            (
                ["--unsafe-no-fsync=true", "-experimental-initial-corrupt-check=false", "--snapshot-count", "0"],
                "--snapshot-count must be >0 (set to 0)"
            ),
            (["--unsafe-no-fsync=maybe"], "invalid boolean value \"maybe\" for -unsafe-no-fsync: parse error"),
        ])
    func storeRefuses(arguments: [String], message: String) async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let (status, errors) = try await keel(["store"] + arguments)
        #expect(status != 0)
        #expect(errors.contains(message), "stderr: \(errors)")
    }

    @Test(
        "keel store accepts a name listed with several URLs in another order than it advertises them, and serves",
        .timeLimit(.minutes(1)))
    func severalPeerURLs() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-flags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ports = try LoopbackPorts.free(3)
        let client = "http://127.0.0.1:\(ports[0])"
        let peerA = "http://127.0.0.1:\(ports[1])"
        let peerB = "http://localhost:\(ports[2])"
        let process = try ChildProcess.start(
            KeelBinary.path,
            [
                "store", "--name", "solo", "--data-dir", directory.appendingPathComponent("data").path,
                "--listen-client-urls", client, "--advertise-client-urls", client, "--listen-metrics-urls", "",
                "--listen-peer-urls", "\(peerA),http://127.0.0.1:\(ports[2])",
                "--initial-advertise-peer-urls", "\(peerA),\(peerB)",
                "--initial-cluster", "solo=http://127.0.0.1:\(ports[2]),solo=\(peerA)",
            ],
            outputFile: directory.appendingPathComponent("log"))
        defer { process.killNow() }
        let serving = await eventually(within: .seconds(20)) {
            LoopbackPorts.isAccepting(ports[0]) || !process.isRunning
        }
        #expect(serving && process.isRunning, "keel store did not serve: \(process.output)")
        await process.stop()
        #expect(process.termination?.status == 0, "exit after SIGTERM: \(process.output.suffix(2000))")
    }

    @Test(
        "keel up refuses port lists that do not match the member count",
        arguments: [
            (["--members", "2", "--client-ports", "1,2,3"], "--client-ports lists 3 ports for 2 members"),
            (["--members", "0"], "--members must be at least 1 (set to 0)"),
            (["--peer-ports", "10,11,x"], "--peer-ports: \"x\" is not a port number"),
            (["--base-port", "50000"], "port 70000 is outside 1…65535"),
            (["--client-ports", "10,11,12", "--peer-ports", "12,13,14"], "the members' ports must all differ"),
        ])
    func upRefuses(arguments: [String], message: String) async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let (status, errors) = try await keel(["up"] + arguments)
        #expect(status != 0)
        #expect(errors.contains(message), "stderr: \(errors)")
    }
}
