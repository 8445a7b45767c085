import Synchronization

/// What the clients of one workload run share: the request budget or deadline, the rate limit, the
/// counters and the latency recorders (one per series, e.g. reads and writes).
final class WorkloadRun: Sendable {
    let limit: WorkloadLimit
    let limiter: RateLimiter?
    let keySpaceSize: Int
    let sequentialKeys: Bool
    let recorders: [LatencyRecorder]
    let issued = Counter()
    let completed = Counter()
    let errors = Counter()
    private let deadline: ContinuousClock.Instant?
    private let errorSamples = Mutex<[String: Int]>([:])

    init(options: WorkloadOptions, seriesCount: Int, start: ContinuousClock.Instant = .now) {
        limit = options.limit
        limiter = RateLimiter(rate: options.rate, start: start)
        keySpaceSize = options.keySpaceSize
        sequentialKeys = options.sequentialKeys
        let shards = min(options.clients, 16)
        recorders = (0..<seriesCount).map { _ in LatencyRecorder(shards: shards) }
        switch options.limit {
        case .requests: deadline = nil
        case .duration(let duration): deadline = start + duration
        }
    }

    /// The next request number, or nil when the run is over.
    func take() -> Int? {
        if Task.isCancelled { return nil }
        switch limit {
        case .requests(let total):
            let number = issued.next()
            return number < total ? number : nil
        case .duration:
            guard let deadline, ContinuousClock.now < deadline else { return nil }
            return issued.next()
        }
    }

    func fail(_ error: any Error) {
        _ = errors.next()
        _ = completed.next()
        let text = String(describing: error)
        errorSamples.withLock { samples in
            if samples[text] != nil || samples.count < 8 { samples[text, default: 0] += 1 }
        }
    }

    /// Up to eight distinct errors with their counts, most frequent first.
    var errorSummary: [String] {
        errorSamples.withLock { samples in
            samples.sorted { $0.value > $1.value }.map { "\($0.value) × \($0.key)" }
        }
    }
}
