/// One watch over a key range, registered with a `WatchHub` and read by a single consumer.
///
/// Guarantees: successive `next()` calls return every event in `range` from the start revision on that
/// `filter` admits, each exactly once, in revision order, whole revisions per batch, with `prevKV` filled
/// only if asked for; or `.compacted` if history the watcher still needed was compacted away. Dropping the
/// last reference to a watcher cancels it. A watcher made by a `WatchGroup` gives the same guarantees through
/// `WatchGroup.next()` instead.
public final class Watcher: Sendable {
    /// Unique within its hub, assigned in creation order from 1.
    public let id: Int64
    public let range: KeyRange
    public let prevKV: Bool
    public let filter: WatchFilter
    private let hub: WatchHub
    /// Read through its `WatchGroup`, not through `next()`.
    private let isGrouped: Bool

    init(id: Int64, hub: WatchHub, range: KeyRange, prevKV: Bool, filter: WatchFilter, isGrouped: Bool = false) {
        self.id = id
        self.isGrouped = isGrouped
        self.hub = hub
        self.range = range
        self.prevKV = prevKV
        self.filter = filter
    }

    deinit {
        hub.cancel(id: id)
    }

    /// Waits for the next batch. Returns nil once the watcher is cancelled or after it reported
    /// `.compacted`. Throws `CancellationError` if the calling task is cancelled (the watcher stays live and
    /// loses nothing), or the store's error if reading history fails. Call from one task at a time.
    public func next() async throws -> WatchBatch? {
        precondition(!isGrouped, "a grouped watcher is read through its WatchGroup")
        return try await hub.next(id: id)
    }

    /// Ends the watcher; a pending or later `next()` returns nil.
    public func cancel() {
        hub.cancel(id: id)
    }

    /// The revision through which this watcher has handed out every event, when it is caught up with the
    /// hub and has nothing queued: what a progress notification may report. Nil otherwise.
    public var progressRevision: Int64? {
        hub.progressRevision(id: id)
    }
}
