import Synchronization

/// Spaces the requests of all clients together at `rate` per second: request n may start at
/// start + n / rate. A client that falls behind starts its next request at once, so the schedule is kept on
/// average rather than each interval; no burst larger than the backlog is ever sent.
final class RateLimiter: Sendable {
    private let interval: Duration
    private let start: ContinuousClock.Instant
    private let issued = Atomic<Int>(0)

    /// `rate` requests per second; nil when `rate` is 0 (no limit).
    init?(rate: Double, start: ContinuousClock.Instant = .now) {
        guard rate > 0 else { return nil }
        interval = .nanoseconds(Int64((1e9 / rate).rounded()))
        self.start = start
    }

    /// Waits until the next request's slot.
    func wait() async throws {
        let slot = issued.add(1, ordering: .relaxed).oldValue
        let due = start + interval * slot
        if due > .now { try await Task.sleep(until: due, clock: .continuous) }
    }
}
