import ChaosCheck
import Foundation

/// What a run did and found, written as `summary.txt` and `summary.json` in the artifacts folder.
struct RunSummary: Codable, Sendable {
    struct Window: Codable, Sendable {
        var startNanos: UInt64
        var endNanos: UInt64
        var milliseconds: Double
    }

    var durationSeconds: Double
    var members: [String]
    var operations: Int
    /// By kind, then by outcome (ok, failed, unknown).
    var operationsByKind: [String: [String: Int]]
    var faults: [String: Int]
    var leaderKills: Int
    var leaderChanges: Int
    var leaderChangeTimes: [LeaderMonitor.Change]
    /// Gaps of more than `unavailabilityThresholdMilliseconds` between consecutive acknowledged writes.
    var unavailabilityWindows: [Window]
    var unavailabilityThresholdMilliseconds: Double
    var unavailabilityMaxMilliseconds: Double
    var unavailabilityP50Milliseconds: Double
    var watchResponses: Int
    var watchEvents: Int
    var watchStreams: Int
    var lastRevision: Int64
    var hashKVRevision: Int64
    var hashKV: [String: String]
    var verdict: String
    var violations: [String]
    var inconclusive: [String]

    /// Gaps between consecutive acknowledged writes (by completion time) longer than `threshold`.
    static func unavailability(_ lines: [HistoryLine], threshold: Duration) -> [Window] {
        let acknowledged = lines.compactMap { line -> UInt64? in
            guard case .operation(let record) = line, record.operation.isWrite, case .ok = record.outcome else {
                return nil
            }
            return record.completeNanos
        }.sorted()
        let limit = RunClock.nanos(threshold)
        return zip(acknowledged, acknowledged.dropFirst()).compactMap { previous, next in
            next - previous > limit
                ? Window(startNanos: previous, endNanos: next, milliseconds: Double(next - previous) / 1e6) : nil
        }
    }

    var text: String {
        var lines: [String] = []
        lines.append("verdict: \(verdict)")
        lines.append(String(format: "duration: %.1f s, members: %@", durationSeconds, members.joined(separator: ",")))
        lines.append("operations: \(operations)")
        for kind in operationsByKind.keys.sorted() {
            let counts = operationsByKind[kind]!
            lines.append("  \(kind): ok \(counts["ok"] ?? 0), failed \(counts["failed"] ?? 0), unknown \(counts["unknown"] ?? 0)")
        }
        lines.append("faults: " + faults.keys.sorted().map { "\($0) \(faults[$0]!)" }.joined(separator: ", "))
        lines.append("leader kills: \(leaderKills), leader changes: \(leaderChanges)")
        lines.append(
            String(
                format: "write unavailability (> %.0f ms without an acknowledged write): %d windows, max %.0f ms, p50 %.0f ms",
                unavailabilityThresholdMilliseconds, unavailabilityWindows.count, unavailabilityMaxMilliseconds,
                unavailabilityP50Milliseconds))
        lines.append("watch: \(watchResponses) responses, \(watchEvents) events, \(watchStreams) streams")
        lines.append(
            "HashKV at revision \(hashKVRevision): "
                + hashKV.keys.sorted().map { "\($0) \(hashKV[$0]!)" }.joined(separator: ", "))
        lines.append("last revision: \(lastRevision)")
        lines.append("violations: \(violations.count)")
        lines.append(contentsOf: violations.map { "  \($0)" })
        if !inconclusive.isEmpty {
            lines.append("inconclusive: \(inconclusive.count)")
            lines.append(contentsOf: inconclusive.map { "  \($0)" })
        }
        return lines.joined(separator: "\n")
    }

    func write(to directory: URL) throws {
        try Data((text + "\n").utf8).write(to: directory.appendingPathComponent("summary.txt"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: directory.appendingPathComponent("summary.json"))
    }
}

extension Array where Element == Double {
    /// The nearest-rank percentile `p` (0...100) of the values; 0 for none.
    func percentile(_ p: Double) -> Double {
        guard !isEmpty else { return 0 }
        let sorted = self.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
    }
}
