import Foundation
import Testing

/// keelctl must print what etcdctl 3.4 prints: `scripts/etcdctl-compat --client keelctl` runs the sessions in
/// testdata/etcdctl-session with etcdctl against etcd 3.4 and with keelctl against keel, and diffs every command's
/// output. Commands marked `@etcdctl-only` in a session are left out on both sides.
@Suite("keelctl compatibility")
struct KeelctlCompatibilityTests {
    /// `$KEELCTL_BINARY`, or the debug build of `keelctl` in this package.
    static var keelctlBinary: String {
        if let path = ProcessInfo.processInfo.environment["KEELCTL_BINARY"], !path.isEmpty {
            return path
        }
        return ExternalScript.packageRoot.appendingPathComponent(".build/debug/keelctl").path
    }

    @Test(
        "keelctl against keel prints what etcdctl 3.4 prints against etcd 3.4",
        .enabled(
            if: ExternalScript.isInstalled("etcd") && ExternalScript.isInstalled("etcdctl"),
            "etcd 3.4 is not installed (apt-get install -y etcd-server etcd-client)"
        ),
        .timeLimit(.minutes(5))
    )
    func sessionsMatchEtcdctl() async throws {
        let keel = ExternalScript.keelBinary
        let keelctl = Self.keelctlBinary
        try #require(
            FileManager.default.isExecutableFile(atPath: keel),
            "keel binary not found at \(keel): run `swift build` first or set KEEL_BINARY"
        )
        try #require(
            FileManager.default.isExecutableFile(atPath: keelctl),
            "keelctl binary not found at \(keelctl): run `swift build` first or set KEELCTL_BINARY"
        )
        // Both sides of a session run at once (each on its own server), which halves the time of the run.
        let outcome = try await ExternalScript.run(
            "scripts/etcdctl-compat",
            arguments: [
                "--client", "keelctl", "--keel", keel, "--keelctl-binary", keelctl, "--parallel", "--deadline", "240",
            ],
            timeLimit: .seconds(270)
        )
        #expect(!outcome.timedOut, "scripts/etcdctl-compat did not finish in time:\n\(outcome.output)")
        #expect(outcome.status == 0, "scripts/etcdctl-compat exited with \(outcome.status):\n\(outcome.output)")
    }
}
