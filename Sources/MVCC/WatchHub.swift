import Synchronization

/// Delivers the store's changes to watchers, in etcd's shape: synced watchers are fed in memory from each
/// applied batch; unsynced ones (started at an old revision, or fallen behind) catch up from the store, and
/// from the hub's own copy of the events applied but not yet committed to it.
///
/// Guarantees:
/// - `notify` never waits for a consumer. A synced watcher whose queue would exceed its `bufferLimit`
///   becomes unsynced and later reads what it missed from the store, so memory per watcher stays bounded
///   and the writer is never slowed by a slow reader.
/// - Each watcher sees every admitted event from its start revision exactly once, in revision order, with
///   the events of one revision always in the same batch; or it is told its next revision was compacted.
/// - `notify` costs O(events + matching single-key watchers + range watchers): single-key watchers are found
///   through a dictionary keyed by their key.
///
/// Requirements on the writer: call `notify` (after a commit) or `notifyApplied` (before it, followed by
/// `committed(through:)` once the store serves those revisions to readers) for every batch, in revision order,
/// with all of the batch's events. Every `Event.prevKV` must be
/// filled by the writer (nil only when the key had no previous live value), because the hub cannot look it
/// up for synced watchers that asked for it; it strips `prevKV` for watchers that did not.
public final class WatchHub: Sendable {
    let store: MVCCStore
    let state: Mutex<HubState>

    /// The largest number of events handed out in one batch, unless a single revision is larger.
    static let maxBatchEvents = 1000
    /// The most revisions read from the store in one catch-up step.
    static let catchUpRevisions = 1000

    /// A hub whose watchers read history from `store`. Revisions up to the store's current revision are
    /// taken as already notified.
    public init(store: MVCCStore) {
        self.store = store
        self.state = Mutex(HubState(latestNotified: store.currentRevision))
    }

    /// Starts a watcher over `range`.
    ///
    /// - Parameters:
    ///   - startRevision: the first revision to report; 0 (or less) means the revision after the latest one
    ///     notified. A revision at or below the latest notified one is caught up from the store; a future
    ///     one waits for that revision.
    ///   - prevKV: deliver each event's previous key-value.
    ///   - filter: kinds of event to leave out.
    ///   - bufferLimit: the most events kept in memory for this watcher before it falls back to the store.
    public func watch(
        range: KeyRange, startRevision: Int64 = 0, prevKV: Bool = false, filter: WatchFilter = [],
        bufferLimit: Int = 1024
    ) -> Watcher {
        watch(range: range, startRevision: startRevision, prevKV: prevKV, filter: filter, bufferLimit: bufferLimit, group: nil)
    }

    func watch(
        range: KeyRange, startRevision: Int64, prevKV: Bool, filter: WatchFilter, bufferLimit: Int, group: Int64?
    ) -> Watcher {
        let (id, waiter) = state.withLock { hub in
            let latest = hub.latestNotified
            let next = startRevision > 0 ? startRevision : latest + 1
            let watcher = WatcherState(
                range: range, prevKV: prevKV, filter: filter, bufferLimit: max(bufferLimit, 1),
                nextRevision: next, isSynced: next > latest, group: group)
            let id = hub.add(watcher)
            // A grouped watcher starting in the past has history to read before any notify.
            let waiter = watcher.isSynced ? nil : hub.markReady(id)
            return (id, waiter)
        }
        waiter?.resume()
        return Watcher(id: id, hub: self, range: range, prevKV: prevKV, filter: filter, isGrouped: group != nil)
    }

    /// A new group of watchers that one consumer reads together (see `WatchGroup`).
    public func makeGroup() -> WatchGroup {
        let id = state.withLock { hub in hub.addGroup() }
        return WatchGroup(id: id, hub: self)
    }

    /// Feeds a committed batch to the synced watchers. `events` are all the events of the batch in revision
    /// order (possibly several revisions, possibly none); `revision` is the store's revision after it.
    public func notify(events: [Event], revision: Int64) {
        let toWake = state.withLock { hub in
            hub.committed(through: revision)
            return hub.notify(events: events, revision: revision)
        }
        for waiter in toWake { waiter.resume() }
    }

    /// Feeds a batch that is applied but not yet committed to the store, so that watchers need not wait for
    /// the commit. The hub keeps the events until `committed(through:)` says the store serves them: a watcher
    /// catching up meanwhile reads the store up to its committed revision and takes the rest from here.
    public func notifyApplied(events: [Event], revision: Int64) {
        let toWake = state.withLock { hub in hub.notify(events: events, revision: revision) }
        for waiter in toWake { waiter.resume() }
    }

    /// The store now serves every revision through `revision` to readers.
    public func committed(through revision: Int64) {
        state.withLock { hub in hub.committed(through: revision) }
    }

    /// The store's state jumped to `revision` without notified events (a snapshot replaced it): every synced
    /// watcher reads what it missed from the store, or learns that it was compacted away.
    public func resynchronize(revision: Int64) {
        let toWake = state.withLock { hub in hub.resynchronize(revision: revision) }
        for waiter in toWake { waiter.resume() }
    }

    /// Stops `watcher`; its pending or future `next()` returns nil.
    public func cancel(_ watcher: Watcher) {
        cancel(id: watcher.id)
    }

    func cancel(id: Int64) {
        let waiter = state.withLock { hub in hub.remove(id)?.waiter }
        waiter?.resume()
    }

    /// The number of live watchers.
    public var watcherCount: Int {
        state.withLock { $0.watchers.count }
    }

    /// The number of live watchers reading history from the store rather than being fed by `notify`: those
    /// that started at an old revision or fell behind (etcd's slow watchers).
    public var slowWatcherCount: Int {
        state.withLock { $0.slowWatcherCount }
    }

    /// The latest revision notified (the store's revision when the hub was created, before any notify).
    public var currentRevision: Int64 {
        state.withLock { $0.latestNotified }
    }

    /// The revision through which `id` has been given every event, if it is synced and has nothing queued:
    /// the revision a progress notification for it may carry. Nil while it has events to deliver or history
    /// to read, or once it has ended.
    func progressRevision(id: Int64) -> Int64? {
        state.withLock { hub in
            guard let watcher = hub.watchers[id], watcher.isSynced, watcher.queue.isEmpty else { return nil }
            return hub.latestNotified
        }
    }
}

/// Everything the hub's lock protects.
struct HubState {
    var latestNotified: Int64
    /// The store serves every revision through this one to readers.
    var committedRevision: Int64
    /// Every event of the revisions after `committedRevision` through `latestNotified`, in revision order: what
    /// a catch-up read of the store cannot see yet.
    var uncommitted: [Event] = []
    var nextID: Int64 = 1
    var watchers: [Int64: WatcherState] = [:]
    /// Single-key watchers by key.
    var keyWatchers: [[UInt8]: Set<Int64>] = [:]
    /// Watchers over a range of keys.
    var rangeWatchers: [Int64: KeyRange] = [:]
    /// Watchers currently unsynced.
    var slowWatcherCount = 0
    /// Groups by id, with the watchers that have something for their consumer.
    var groups: [Int64: WatchGroupState] = [:]
    var nextGroupID: Int64 = 1

    init(latestNotified: Int64) {
        self.latestNotified = latestNotified
        self.committedRevision = latestNotified
    }

    mutating func committed(through revision: Int64) {
        guard revision > committedRevision else { return }
        committedRevision = revision
        let kept = uncommitted.firstIndex { $0.kv.modRevision > revision } ?? uncommitted.endIndex
        uncommitted.removeSubrange(..<kept)
    }

    mutating func add(_ watcher: WatcherState) -> Int64 {
        let id = nextID
        nextID += 1
        watchers[id] = watcher
        if !watcher.isSynced { slowWatcherCount += 1 }
        if watcher.range.isSingleKey {
            keyWatchers[watcher.range.key, default: []].insert(id)
        } else {
            rangeWatchers[id] = watcher.range
        }
        if let group = watcher.group { groups[group]?.members.insert(id) }
        return id
    }

    mutating func remove(_ id: Int64) -> WatcherState? {
        guard let watcher = watchers.removeValue(forKey: id) else { return nil }
        if !watcher.isSynced { slowWatcherCount -= 1 }
        // A removed watcher left in its group's ready list is skipped when the consumer takes the list.
        if let group = watcher.group { groups[group]?.members.remove(id) }
        if watcher.range.isSingleKey {
            let key = watcher.range.key
            keyWatchers[key]?.remove(id)
            if keyWatchers[key]?.isEmpty == true { keyWatchers[key] = nil }
        } else {
            rangeWatchers[id] = nil
        }
        return watcher
    }

    mutating func addGroup() -> Int64 {
        let id = nextGroupID
        nextGroupID += 1
        groups[id] = WatchGroupState()
        return id
    }

    /// Records that watcher `id` has something for its group's consumer; returns the consumer to wake, if
    /// it is waiting. Nil for an ungrouped watcher.
    mutating func markReady(_ id: Int64) -> CheckedContinuation<Void, Never>? {
        guard let group = watchers[id]?.group, groups[group] != nil else { return nil }
        return groups[group]!.markReady(id)
    }

    mutating func resynchronize(revision: Int64) -> [CheckedContinuation<Void, Never>] {
        // A synced watcher has been given everything notified so far; it continues after that.
        let next = latestNotified + 1
        latestNotified = max(latestNotified, revision)
        // The store was replaced whole and committed: it serves everything there is.
        committedRevision = latestNotified
        uncommitted = []
        var toWake: [CheckedContinuation<Void, Never>] = []
        for id in Array(watchers.keys) where watchers[id]!.isSynced {
            watchers[id]!.isSynced = false
            watchers[id]!.nextRevision = max(watchers[id]!.nextRevision, next)
            slowWatcherCount += 1
            if let waiter = watchers[id]!.takeWaiter() { toWake.append(waiter) }
            if let waiter = markReady(id) { toWake.append(waiter) }
        }
        return toWake
    }

    /// Queues the events each synced watcher admits and keeps them for catch-up reads until they are
    /// committed; returns the consumers to wake.
    mutating func notify(events: [Event], revision: Int64) -> [CheckedContinuation<Void, Never>] {
        latestNotified = max(latestNotified, revision)
        if revision > committedRevision { uncommitted += events }
        guard !events.isEmpty, !watchers.isEmpty else { return [] }

        // Collected per watcher first, so that a watcher's share of this batch is queued or refused as a whole.
        var matched: [Int64: [Event]] = [:]
        for event in events {
            if let ids = keyWatchers[event.kv.key] {
                for id in ids { offer(event, to: id, into: &matched) }
            }
            for (id, range) in rangeWatchers where range.contains(event.kv.key) {
                offer(event, to: id, into: &matched)
            }
        }

        var toWake: [CheckedContinuation<Void, Never>] = []
        for (id, admitted) in matched {
            guard let outcome = watchers[id]?.enqueue(admitted) else { continue }
            if outcome.fellBehind { slowWatcherCount += 1 }
            if let waiter = outcome.waiter { toWake.append(waiter) }
            if let waiter = markReady(id) { toWake.append(waiter) }
        }
        return toWake
    }

    private func offer(_ event: Event, to id: Int64, into matched: inout [Int64: [Event]]) {
        guard let watcher = watchers[id], watcher.isSynced, event.kv.modRevision >= watcher.nextRevision,
            let admitted = watcher.admitted(event)
        else { return }
        matched[id, default: []].append(admitted)
    }
}
