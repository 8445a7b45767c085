import Foundation
import Histogram

/// The figures a benchmark table shows for one latency distribution, in milliseconds, taken from an
/// HdrHistogram (so each is exact to three significant digits).
struct LatencySummary: Codable, Sendable {
    let count: UInt64
    let minMs: Double
    let meanMs: Double
    let p50Ms: Double
    let p90Ms: Double
    let p99Ms: Double
    let p999Ms: Double
    let maxMs: Double

    init(_ histogram: Histogram<UInt64>) {
        count = histogram.totalCount
        func ms(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
        guard count > 0 else {
            minMs = 0; meanMs = 0; p50Ms = 0; p90Ms = 0; p99Ms = 0; p999Ms = 0; maxMs = 0
            return
        }
        minMs = ms(histogram.min)
        meanMs = histogram.mean / 1000
        p50Ms = ms(histogram.valueAtPercentile(50))
        p90Ms = ms(histogram.valueAtPercentile(90))
        p99Ms = ms(histogram.valueAtPercentile(99))
        p999Ms = ms(histogram.valueAtPercentile(99.9))
        maxMs = ms(histogram.max)
    }

    /// "min 0.412 p50 0.9 ... max 12.1 ms"
    var text: String {
        func f(_ value: Double) -> String { String(format: "%.3f", value) }
        return "min \(f(minMs)) p50 \(f(p50Ms)) p90 \(f(p90Ms)) p99 \(f(p99Ms)) p99.9 \(f(p999Ms)) "
            + "max \(f(maxMs)) mean \(f(meanMs)) ms (\(count) samples)"
    }
}
