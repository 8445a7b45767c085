import Benchmark
import BenchmarkSupport
import Raft

/// The leader's cost of getting proposals committed: one iteration proposes a batch of 1 or 100 entries
/// (256-byte payloads, about one encoded put each) and drives the group until the whole batch is committed
/// and handed out for applying: the appends to both followers, their acknowledgements, the commit, and the
/// appends that carry the new commit index.
func registerProposeBenchmarks() {
    let payloadSize = 256
    for batchSize in [1, 100] {
        let name =
            batchSize == 1
            ? "raft propose+commit 1 entry (3 members, in memory)"
            : "raft propose+commit batch of \(batchSize) entries (3 members, in memory)"
        let batch = (0..<batchSize).map { index in
            [UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: payloadSize)
        }
        let fixture = Fixture<LeaderHarness>()
        Benchmark(name, configuration: .init(maxIterations: batchSize == 1 ? 20_000 : 5_000)) { benchmark in
            let harness = fixture.current
            for _ in benchmark.scaledIterations {
                try harness.proposeAndCommit(batch)
            }
        } setup: {
            fixture.value = LeaderHarness()
        } teardown: {
            fixture.value = nil
        }
    }
}
