/// The expiry deadlines of leases. Deadlines are not replicated state: they are kept in memory by whoever
/// expires leases and restarted at full TTL when a member starts (as etcd does), so a restart never expires a
/// lease early. The clock is a plain value; the caller passes the current instant in.
public struct LeaseClock: Sendable {
    private struct Entry: Sendable {
        var ttl: Int64
        var deadline: ContinuousClock.Instant
    }

    private var entries: [Int64: Entry] = [:]

    public init() {}

    public mutating func track(id: Int64, ttl: Int64, now: ContinuousClock.Instant) {
        entries[id] = Entry(ttl: ttl, deadline: now + .seconds(ttl))
    }

    /// Restarts the lease's countdown; returns its TTL, or nil for an unknown lease.
    public mutating func renew(id: Int64, now: ContinuousClock.Instant) -> Int64? {
        guard var entry = entries[id] else { return nil }
        entry.deadline = now + .seconds(entry.ttl)
        entries[id] = entry
        return entry.ttl
    }

    public mutating func forget(id: Int64) {
        entries[id] = nil
    }

    /// Whole seconds left, rounded up as etcd reports them; nil for an unknown lease.
    public func remaining(id: Int64, now: ContinuousClock.Instant) -> Int64? {
        guard let entry = entries[id] else { return nil }
        let left = now.duration(to: entry.deadline)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        return seconds + (attoseconds > 0 ? 1 : 0)
    }

    /// Leases whose deadline has passed, oldest first.
    public func expired(now: ContinuousClock.Instant) -> [Int64] {
        entries.filter { $0.value.deadline <= now }.sorted { $0.value.deadline < $1.value.deadline }.map(\.key)
    }

    public var count: Int { entries.count }
}
