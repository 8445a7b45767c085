import Foundation
import Raft
import RaftTestKit
import Testing

/// Whole-group simulations. `KEEL_SIM_SEED=n` replays one seed (traced; `KEEL_SIM_TRACE=1` prints every
/// event); `KEEL_SIM_SEEDS=n` runs seeds 1...n (or `a-b`, seeds a...b) instead of the default 1...500.
@Suite("Simulation")
struct SimulationTests {
    static let shards = 4

    /// The seeds to run: `KEEL_SIM_SEEDS=n` for 1...n, or `a-b` for a...b; 1...500 by default.
    static var seeds: ClosedRange<UInt64> {
        let text = ProcessInfo.processInfo.environment["KEEL_SIM_SEEDS"] ?? "500"
        let bounds = text.split(separator: "-").compactMap { UInt64($0) }
        if bounds.count == 2, bounds[0] <= bounds[1] { return bounds[0]...bounds[1] }
        return 1...max(1, bounds.first ?? 500)
    }

    static var replaySeed: UInt64? {
        ProcessInfo.processInfo.environment["KEEL_SIM_SEED"].flatMap(UInt64.init)
    }

    @Test("random seeds keep every safety property and converge once faults stop", arguments: 0..<shards)
    func seeds(shard: Int) {
        if let seed = Self.replaySeed {
            if shard == 0 { replay(seed) }
            return
        }
        let seeds = Self.seeds
        for seed in stride(from: seeds.lowerBound + UInt64(shard), through: seeds.upperBound, by: Self.shards) {
            print("raft simulation seed=\(seed) starting")
            switch Simulation(options: .random(seed: seed)).run() {
            case .success(let report):
                print("raft simulation \(report)")
            case .failure(let failure):
                Issue.record("raft simulation failed: \(failure)")
                // Replays the seed with tracing to show what led there.
                if case .failure(let traced) = Simulation(options: .random(seed: seed), trace: true).run() {
                    print(traced.trace.suffix(400).joined(separator: "\n"))
                }
                return
            }
        }
    }

    /// Runs one seed, traced: the end of the trace is printed on failure, all of it with `KEEL_SIM_TRACE=1`.
    private func replay(_ seed: UInt64) {
        let printAll = ProcessInfo.processInfo.environment["KEEL_SIM_TRACE"] == "1"
        switch Simulation(options: .random(seed: seed), trace: true).run() {
        case .success(let report):
            if printAll { print(report.trace.joined(separator: "\n")) }
            print("raft simulation \(report)")
        case .failure(let failure):
            print(failure.trace.suffix(printAll ? failure.trace.count : 2_000).joined(separator: "\n"))
            Issue.record("raft simulation failed: \(failure)")
        }
    }

    @Test("a run replays exactly from its seed")
    func deterministic() {
        for seed: UInt64 in [7, 8] {
            let first = Simulation(options: .random(seed: seed), trace: true).run()
            let second = Simulation(options: .random(seed: seed), trace: true).run()
            switch (first, second) {
            case (.success(let a), .success(let b)):
                #expect(a.description == b.description)
            case (.failure(let a), .failure(let b)):
                #expect(a.trace == b.trace)
            default:
                Issue.record("seed \(seed) ran differently twice")
            }
        }
    }
}
