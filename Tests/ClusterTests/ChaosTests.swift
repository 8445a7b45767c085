import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where `keel-chaos` is: `$KEEL_CHAOS_BINARY`, else beside the `keel` under test (same build directory).
enum ChaosBinary {
    static var path: String {
        if let path = ProcessInfo.processInfo.environment["KEEL_CHAOS_BINARY"], !path.isEmpty { return path }
        return URL(fileURLWithPath: KeelBinary.path).deletingLastPathComponent().appendingPathComponent("keel-chaos")
            .path
    }

    static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: path) }
}

extension ClusterTests {
    /// The short chaos run CI keeps: a minute of workload on three members while the leader is SIGKILLed again
    /// and again (and paused, cut off, compacted, defragmented), then every checker over the history.
    @Test(
        "a short chaos run (≥ 10 leader kills under load) ends with 0 violations and equal HashKV",
        .timeLimit(.minutes(5)))
    func shortChaosRun() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        try #require(ChaosBinary.isBuilt, "keel-chaos not found at \(ChaosBinary.path): run `swift build` first")
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keel-chaos-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        defer {
            if ProcessInfo.processInfo.environment["KEEL_KEEP_CLUSTER_DATA"] == nil {
                try? FileManager.default.removeItem(at: artifacts)
            }
        }
        let arguments = [
            "run", "--keel", KeelBinary.path, "--artifacts", artifacts.path, "--no-plot",
            "--duration", "60", "--min-leader-kills", "10", "--fault-interval", "1", "--restart-delay", "500",
            "--faults", "kill-leader:8,pause-leader:1,partition-leader:1,compact:1,defrag:1",
            "--clients", "4", "--watchers", "2", "--seed", "1",
        ]
        let output = artifacts.appendingPathComponent("keel-chaos.out")
        let runner = try ChildProcess.start(ChaosBinary.path, arguments, outputFile: output)
        // The runner stops its members by PID itself; SIGTERM makes it do so at once if it overruns.
        let finished = await runner.waitForExit(within: .seconds(270))
        if !finished {
            runner.send(SIGTERM)
            _ = await runner.waitForExit(within: .seconds(10))
            await runner.kill()
        }
        let printed = runner.output
        #expect(finished, "keel-chaos did not finish within 270 s; it printed:\n\(printed)")
        #expect(runner.termination?.status == 0, "keel-chaos failed; it printed:\n\(printed)")

        let data = try Data(contentsOf: artifacts.appendingPathComponent("summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let violations = summary["violations"] as? [String] ?? ["summary.json has no violations list"]
        #expect(violations.isEmpty, "violations:\n\(violations.joined(separator: "\n"))")
        #expect(summary["verdict"] as? String == "pass", "summary:\n\(printed)")
        #expect((summary["leaderKills"] as? Int ?? 0) >= 10, "leader kills: \(summary["leaderKills"] ?? "none")")
        #expect((summary["leaderChanges"] as? Int ?? 0) >= 10, "leader changes: \(summary["leaderChanges"] ?? "none")")
        #expect((summary["operations"] as? Int ?? 0) > 500, "operations: \(summary["operations"] ?? "none")")
        #expect((summary["watchEvents"] as? Int ?? 0) > 0, "watch events: \(summary["watchEvents"] ?? "none")")
        let hashes = summary["hashKV"] as? [String: String] ?? [:]
        #expect(hashes.count == 3 && Set(hashes.values).count == 1, "HashKV: \(hashes)")
        #expect(
            FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("history.jsonl").path),
            "history.jsonl written")
    }
}
