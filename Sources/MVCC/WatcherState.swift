/// The hub's record of one watcher. Lives inside the hub's lock.
struct WatcherState {
    let range: KeyRange
    let prevKV: Bool
    let filter: WatchFilter
    let bufferLimit: Int
    /// The `WatchGroup` whose consumer reads this watcher, if any; such a watcher never parks a waiter of
    /// its own; the hub marks it ready in its group instead.
    let group: Int64?

    /// The lowest revision not yet given to the consumer or to the queue. A synced watcher ignores notified
    /// events below it (they were read from the store during catch-up); an unsynced one reads from it.
    var nextRevision: Int64
    /// Fed by `notify` when true; catches up from the store when false.
    var isSynced: Bool
    /// Admitted events (filtered, `prevKV` stripped if not asked for) awaiting the consumer.
    var queue = WatchEventQueue()
    /// The consumer's suspended `next()`, if it is waiting.
    var waiter: CheckedContinuation<Void, Never>?

    init(
        range: KeyRange, prevKV: Bool, filter: WatchFilter, bufferLimit: Int, nextRevision: Int64, isSynced: Bool,
        group: Int64? = nil
    ) {
        self.group = group
        self.range = range
        self.prevKV = prevKV
        self.filter = filter
        self.bufferLimit = bufferLimit
        self.nextRevision = nextRevision
        self.isSynced = isSynced
    }

    /// The event as this watcher delivers it, or nil if its filter drops it.
    func admitted(_ event: Event) -> Event? {
        guard filter.admits(event) else { return nil }
        if prevKV || event.prevKV == nil { return event }
        var stripped = event
        stripped.prevKV = nil
        return stripped
    }

    /// Queues this watcher's share of a notified batch, or, if that would exceed `bufferLimit`, turns the
    /// watcher unsynced from the first revision of the share. Returns whether it fell behind, and the
    /// consumer to wake, if waiting.
    mutating func enqueue(_ admitted: [Event]) -> (fellBehind: Bool, waiter: CheckedContinuation<Void, Never>?) {
        let fellBehind = queue.count + admitted.count > bufferLimit
        if fellBehind {
            // What is already queued stays deliverable; the rest is read back from the store.
            isSynced = false
            nextRevision = admitted[0].kv.modRevision
        } else {
            queue.append(contentsOf: admitted)
        }
        defer { waiter = nil }
        return (fellBehind, waiter)
    }
}
