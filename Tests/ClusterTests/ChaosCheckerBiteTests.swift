import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ClusterTests {
    /// A deliberate defect in the members, the faults that expose it, and the checker findings that must
    /// follow. A checker that passes these runs would prove nothing.
    struct PlantedBug: Sendable, CustomTestStringConvertible {
        var fault: String
        var nemesis: String
        var expectedKinds: Set<String>
        var testDescription: String { fault }
    }

    static let plantedBugs: [PlantedBug] = [
        // Followers answer linearizable reads from their own state; delayed peer traffic makes them lag.
        PlantedBug(
            fault: "stale-follower-reads", nemesis: "delay-peers:3,partition-leader:1",
            expectedKinds: ["staleRead", "notLinearizable"]),
        // Puts answered before they commit, with a guessed revision.
        PlantedBug(
            fault: "ack-before-commit", nemesis: "kill-leader",
            expectedKinds: ["lostWrite", "wrongEffect", "revisionConflict", "notLinearizable", "phantomWrite",
                "conflictingObservation", "realTimeOrder", "badMetadata"]),
        // One watch event left out of a stream: a gap, or a revision split when it was one of several.
        PlantedBug(
            fault: "drop-watch-event", nemesis: "compact", expectedKinds: ["watchGap", "watchNonAtomic"]),
    ]

    @Test(
        "each checker catches the bug it is there for (a member started with a debug fault)",
        .timeLimit(.minutes(3)), arguments: plantedBugs)
    func checkerCatchesPlantedBug(_ bug: PlantedBug) async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        try #require(ChaosBinary.isBuilt, "keel-chaos not found at \(ChaosBinary.path): run `swift build` first")
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keel-chaos-bite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: artifacts) }
        let arguments = [
            "run", "--keel", KeelBinary.path, "--artifacts", artifacts.path, "--no-plot",
            "--duration", "20", "--fault-interval", "1", "--faults", bug.nemesis,
            "--clients", "6", "--watchers", "2", "--seed", "7", "--member-flag=--debug-fault=\(bug.fault)",
        ]
        let runner = try ChildProcess.start(
            ChaosBinary.path, arguments, outputFile: artifacts.appendingPathComponent("keel-chaos.out"))
        let finished = await runner.waitForExit(within: .seconds(150))
        if !finished {
            runner.send(SIGTERM)
            _ = await runner.waitForExit(within: .seconds(10))
            await runner.kill()
        }
        let printed = runner.output
        #expect(finished, "keel-chaos did not finish; it printed:\n\(printed)")
        #expect(runner.termination?.status == 1, "keel-chaos must report the planted bug; it printed:\n\(printed)")
        let data = try Data(contentsOf: artifacts.appendingPathComponent("summary.json"))
        let summary = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let violations = summary["violations"] as? [String] ?? []
        let kinds = Set(violations.compactMap { line -> String? in
            guard line.hasPrefix("["), let end = line.firstIndex(of: "]") else { return nil }
            return String(line[line.index(after: line.startIndex)..<end])
        })
        #expect(!kinds.isDisjoint(with: bug.expectedKinds), "expected one of \(bug.expectedKinds), got:\n\(violations.joined(separator: "\n"))\n\(printed)")
    }
}
