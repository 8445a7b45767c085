import Foundation
import Testing

/// A keel member killed with SIGKILL at a random instant keeps every write it acknowledged:
/// `scripts/durability-test` writes, kills, restarts and checks, for several rounds.
@Suite("durability")
struct DurabilityTests {
    /// `KEEL_DURABILITY_ROUNDS` raises the number of kill/restart rounds for longer runs.
    static var rounds: String {
        ProcessInfo.processInfo.environment["KEEL_DURABILITY_ROUNDS"] ?? "5"
    }

    @Test(
        "no acknowledged put is lost when the member is killed with SIGKILL",
        .enabled(
            if: ExternalScript.isInstalled("etcdctl"),
            "etcdctl 3.4 is not installed (apt-get install -y etcd-client)"
        ),
        .timeLimit(.minutes(20))
    )
    func acknowledgedPutsSurviveSIGKILL() async throws {
        let keel = ExternalScript.keelBinary
        try #require(
            FileManager.default.isExecutableFile(atPath: keel),
            "keel binary not found at \(keel): run `swift build` first or set KEEL_BINARY"
        )
        let outcome = try await ExternalScript.run(
            "scripts/durability-test",
            arguments: ["--keel", keel, "--rounds", Self.rounds],
            timeLimit: .seconds(1_000)
        )
        #expect(!outcome.timedOut, "scripts/durability-test did not finish in time:\n\(outcome.output)")
        #expect(outcome.status == 0, "scripts/durability-test exited with \(outcome.status):\n\(outcome.output)")
    }
}
