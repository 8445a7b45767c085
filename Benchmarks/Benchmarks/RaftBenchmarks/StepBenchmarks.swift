import Benchmark
import BenchmarkSupport
import Raft

/// The leader's steady-state message handling with nothing to replicate: stepping one heartbeat answer
/// from an up-to-date follower (the per-message cost of `step`), and a whole heartbeat round (a tick that
/// sends heartbeats to both followers, and stepping their two answers).
func registerStepBenchmarks() {
    let stepFixture = Fixture<LeaderHarness>()
    Benchmark(
        "raft step heartbeat response (leader, 3 members)",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let harness = stepFixture.current
        let response = Message(
            from: 2, to: LeaderHarness.leaderID, term: harness.term, kind: .heartbeatResponse(context: nil))
        for _ in benchmark.scaledIterations {
            harness.step(response)
        }
        // Nothing was sent in reply: the follower is up to date.
        precondition(!harness.node.hasReady, "a heartbeat answer from an up-to-date follower produced output")
    } setup: {
        stepFixture.value = LeaderHarness()
    } teardown: {
        stepFixture.value = nil
    }

    let roundFixture = Fixture<LeaderHarness>()
    Benchmark(
        "raft tick + heartbeat round (leader, 3 members)",
        configuration: .init(scalingFactor: .kilo)
    ) { benchmark in
        let harness = roundFixture.current
        for _ in benchmark.scaledIterations {
            harness.heartbeatRound()
        }
        precondition(harness.node.softState.role == .leader, "the leader stepped down during heartbeats")
    } setup: {
        roundFixture.value = LeaderHarness()
    } teardown: {
        roundFixture.value = nil
    }
}
