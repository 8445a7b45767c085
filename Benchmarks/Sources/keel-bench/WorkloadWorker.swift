import GRPCCore
import Synchronization

/// One client of a workload run: it asks the run for request numbers until the run is over, times each
/// request and records it. One task runs it; it is `Sendable` only so that a streaming call's response
/// handler, which runs inside that task's call, may use it.
final class WorkloadWorker: Sendable {
    let index: Int
    let run: WorkloadRun
    private let random: Mutex<UInt64>

    init(index: Int, run: WorkloadRun) {
        self.index = index
        self.run = run
        random = Mutex(UInt64(truncatingIfNeeded: index &+ 1) &* 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The number of the next request this client sends, after waiting for its slot under `--rate`; nil once
    /// the run has sent its total, reached its duration, or been cancelled.
    func next() async -> Int? {
        guard let number = run.take() else { return nil }
        if let limiter = run.limiter {
            do { try await limiter.wait() } catch { return nil }
        }
        return number
    }

    /// The key index request `number` uses: in order with `--sequential-keys`, else uniformly at random.
    func keyIndex(_ number: Int) -> Int {
        let count = run.keySpaceSize
        if run.sequentialKeys { return number % count }
        let value = random.withLock { state in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        return Int(value % UInt64(count))
    }

    /// Records a request that succeeded, timed from `start`, in latency series `series`.
    func record(since start: ContinuousClock.Instant, series: Int = 0) {
        run.recorders[series].record(.now - start, worker: index)
        _ = run.completed.next()
    }

    /// Counts a failed request. A connection that is down fails requests at once; a short pause keeps the
    /// client from spinning on it.
    func failed(_ error: any Error) async {
        run.fail(error)
        if let error = error as? RPCError, error.code == .unavailable {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Times `request` and records it, or counts its failure.
    func time(series: Int = 0, _ request: () async throws -> Void) async {
        let start = ContinuousClock.now
        do {
            try await request()
            record(since: start, series: series)
        } catch {
            await failed(error)
        }
    }
}
