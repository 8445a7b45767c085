import Foundation
import Testing

/// The real etcdctl 3.4 must get the same answers from keel as from etcd 3.4: `scripts/etcdctl-compat` runs the
/// sessions in testdata/etcdctl-session against both and diffs every command's output.
@Suite("etcdctl compatibility")
struct EtcdctlCompatibilityTests {
    @Test(
        "etcdctl 3.4 gets the same answers from keel as from etcd 3.4",
        .enabled(
            if: ExternalScript.isInstalled("etcd") && ExternalScript.isInstalled("etcdctl"),
            "etcd 3.4 is not installed (apt-get install -y etcd-server etcd-client)"
        ),
        .timeLimit(.minutes(20))
    )
    func sessionsMatchEtcd() async throws {
        let keel = ExternalScript.keelBinary
        try #require(
            FileManager.default.isExecutableFile(atPath: keel),
            "keel binary not found at \(keel): run `swift build` first or set KEEL_BINARY"
        )
        let outcome = try await ExternalScript.run(
            "scripts/etcdctl-compat",
            arguments: ["--keel", keel],
            timeLimit: .seconds(1_000)
        )
        #expect(!outcome.timedOut, "scripts/etcdctl-compat did not finish in time:\n\(outcome.output)")
        #expect(outcome.status == 0, "scripts/etcdctl-compat exited with \(outcome.status):\n\(outcome.output)")
    }
}
