/// Watchers read together by one consumer: the watchers of one client stream, say. Instead of a task per
/// watcher waiting on its own `Watcher.next()`, the consumer waits once for the whole group and gets a batch
/// from every watcher that has one.
///
/// Guarantees: for each of its watchers, the batches `next()` hands out are exactly what that watcher's own
/// `Watcher.next()` would have returned (every admitted event once, in revision order, whole revisions per
/// batch; or `.compacted`, after which the watcher is gone), with at most one batch per watcher per call.
/// A slow consumer never slows the writer: each watcher falls back to the store past its buffer limit.
/// Closing the group (or dropping it) cancels all its watchers.
public final class WatchGroup: Sendable {
    let id: Int64
    private let hub: WatchHub

    init(id: Int64, hub: WatchHub) {
        self.id = id
        self.hub = hub
    }

    deinit {
        close()
    }

    /// One watcher's batch, as `next()` hands it out.
    public struct Delivery: Sendable {
        /// `Watcher.id` of the watcher it is for.
        public var watcherID: Int64
        public var batch: WatchBatch
    }

    /// Starts a watcher in this group; see `WatchHub.watch(range:startRevision:prevKV:filter:bufferLimit:)`.
    /// Read it through `next()`; cancel it with `Watcher.cancel()` (or by dropping it).
    public func watch(
        range: KeyRange, startRevision: Int64 = 0, prevKV: Bool = false, filter: WatchFilter = [],
        bufferLimit: Int = 1024
    ) -> Watcher {
        hub.watch(
            range: range, startRevision: startRevision, prevKV: prevKV, filter: filter, bufferLimit: bufferLimit,
            group: id)
    }

    /// Waits until some watchers of the group have something, and returns a batch for each of them. Returns
    /// nil once the group is closed. Throws `CancellationError` if the calling task is cancelled (nothing is
    /// lost), or the store's error if reading history fails. Call from one task at a time.
    public func next() async throws -> [Delivery]? {
        try await hub.next(group: id)
    }

    /// Cancels every watcher of the group; a pending or later `next()` returns nil.
    public func close() {
        hub.close(group: id)
    }
}
