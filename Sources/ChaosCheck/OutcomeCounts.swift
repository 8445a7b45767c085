/// How many operations of one kind ended ok, failed, or unknown.
public struct OutcomeCounts: Sendable, Hashable, Codable {
    public var ok: Int
    public var failed: Int
    public var unknown: Int

    public init(ok: Int = 0, failed: Int = 0, unknown: Int = 0) {
        self.ok = ok
        self.failed = failed
        self.unknown = unknown
    }

    public var total: Int { ok + failed + unknown }

    mutating func add(_ outcome: HistoryOutcome) {
        switch outcome {
        case .ok: ok += 1
        case .failed: failed += 1
        case .unknown: unknown += 1
        }
    }
}
