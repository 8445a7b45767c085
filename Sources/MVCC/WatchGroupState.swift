/// The hub's record of one `WatchGroup`. Lives inside the hub's lock.
struct WatchGroupState {
    /// Every live watcher of the group.
    var members: Set<Int64> = []
    /// Watchers with something for the consumer (events queued, history to read), in the order they became
    /// ready, each once.
    private(set) var ready: [Int64] = []
    private var readySet: Set<Int64> = []
    /// The consumer's suspended `next()`, if it is waiting.
    var waiter: CheckedContinuation<Void, Never>?
    var isClosed = false

    /// Adds `id` to the ready list; returns the consumer to wake, if it was waiting.
    mutating func markReady(_ id: Int64) -> CheckedContinuation<Void, Never>? {
        if readySet.insert(id).inserted { ready.append(id) }
        defer { waiter = nil }
        return waiter
    }

    /// Empties the ready list and returns it.
    mutating func takeReady() -> [Int64] {
        defer {
            ready = []
            readySet = []
        }
        return ready
    }
}
