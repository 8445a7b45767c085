import Foundation
import Testing

extension ClusterTests {
    /// `scripts/etcdctl-compat --members 3` runs every session of testdata/etcdctl-session against a fresh
    /// three-member etcd 3.4 and a fresh three-member Keel, each session's two sides at once, and exits 0 only
    /// when every command's masked output is the same on both.
    @Test(
        "etcdctl 3.4 gets the same answers from three Keel members as from three etcd 3.4 members",
        .enabled(
            if: Etcdctl.isInstalled && EtcdctlCompatScript.etcdIsInstalled,
            "etcd 3.4 is not installed (apt-get install -y etcd-server etcd-client)"),
        .timeLimit(.minutes(2)))
    func etcdctlSessionsMatchEtcdCluster() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let outcome = try await EtcdctlCompatScript.run(
            ["--members", "3", "--parallel", "--keel", KeelBinary.path], within: .seconds(110))
        #expect(!outcome.timedOut, "scripts/etcdctl-compat did not finish within 110 s:\n\(outcome.output)")
        #expect(outcome.status == 0, "scripts/etcdctl-compat exited with \(outcome.status):\n\(outcome.output)")
    }
}

/// `scripts/etcdctl-compat` run to completion (or stopped) as a child process of the test.
private enum EtcdctlCompatScript {
    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    static var etcdIsInstalled: Bool {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return searchPath.split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/etcd")
        }
    }

    /// Runs the script with `arguments`. Its own `--deadline` is set a few seconds inside `limit`, so that it
    /// stops its servers and reports; past `limit` it is sent SIGTERM (on which it kills every server it
    /// started), then SIGKILL.
    static func run(_ arguments: [String], within limit: Duration) async throws -> Outcome {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "etcdctl-compat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = KeelBinary.packageRoot.appendingPathComponent("scripts/etcdctl-compat").path
        let ownDeadline = max(10, limit.components.seconds - 5)
        let process = try ChildProcess.start(
            "/usr/bin/env", ["python3", script, "--deadline", String(ownDeadline)] + arguments,
            outputFile: directory.appendingPathComponent("output"))
        let finished = await process.waitForExit(within: limit)
        if !finished { await process.stop(grace: .seconds(10)) }
        return Outcome(status: process.termination?.status ?? -1, output: process.output, timedOut: !finished)
    }
}
