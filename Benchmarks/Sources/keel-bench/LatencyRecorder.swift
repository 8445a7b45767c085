import Histogram
import Synchronization

/// Latencies recorded from many tasks at once into an HdrHistogram (microseconds, three significant
/// digits), split over a few locked shards so that concurrent clients seldom wait for each other; the
/// shards are merged when the summary is taken.
final class LatencyRecorder: Sendable {
    /// One lock and its histogram (a `Mutex` cannot be an array element itself).
    private final class Shard: Sendable {
        let histogram = Mutex(LatencyRecorder.emptyHistogram())
    }

    private let shards: [Shard]

    /// The largest latency kept exactly; longer ones still count, at this value.
    static let highestMicroseconds: UInt64 = 600_000_000

    init(shards: Int = 16) {
        self.shards = (0..<max(1, shards)).map { _ in Shard() }
    }

    /// Records one latency; `worker` picks the shard.
    func record(_ latency: Duration, worker: Int) {
        let microseconds = UInt64(max(0, latency.milliseconds * 1000).rounded())
        let value = min(max(microseconds, 1), Self.highestMicroseconds)
        _ = shards[worker % shards.count].histogram.withLock { $0.record(value) }
    }

    /// Every latency recorded so far in one histogram.
    var merged: Histogram<UInt64> {
        var total = Self.emptyHistogram()
        for shard in shards {
            let histogram = shard.histogram.withLock { $0 }
            total.add(histogram)
        }
        return total
    }

    var summary: LatencySummary { LatencySummary(merged) }

    static func emptyHistogram() -> Histogram<UInt64> {
        Histogram(highestTrackableValue: highestMicroseconds, numberOfSignificantValueDigits: .three)
    }
}
