// The consumer side of the hub: what `Watcher.next()` runs.
extension WatchHub {
    func next(id: Int64) async throws -> WatchBatch? {
        while true {
            try Task.checkCancellation()
            let step = state.withLock { hub in
                hub.watchers[id]?.takeStep(maxEvents: Self.maxBatchEvents) ?? .ended
            }
            switch step {
            case .ended:
                return nil
            case .deliver(let events):
                return .events(events)
            case .wait:
                await waitForChange(id: id)
            case .catchUp(let from, let range, let prevKV, let filter):
                switch try catchUp(id: id, from: from, range: range, prevKV: prevKV, filter: filter) {
                case .batch(let batch): return batch
                case .ended: return nil
                case .again: continue
                }
            }
        }
    }

    func next(group: Int64) async throws -> [WatchGroup.Delivery]? {
        while true {
            try Task.checkCancellation()
            // Decided under the lock; history is read outside it, as for a single watcher.
            let steps: [(Int64, WatcherStep)]? = state.withLock { hub in
                guard let ready = hub.groups[group]?.takeReady() else { return nil }
                var steps: [(Int64, WatcherStep)] = []
                for id in ready {
                    guard let step = hub.watchers[id]?.takeStep(maxEvents: Self.maxBatchEvents) else { continue }
                    switch step {
                    case .wait, .ended:
                        continue
                    case .deliver:
                        // More may follow (a longer queue, history to read after an overflow): the next call
                        // looks again, and finds `.wait` if not.
                        if let watcher = hub.watchers[id], !watcher.queue.isEmpty || !watcher.isSynced {
                            _ = hub.groups[group]?.markReady(id)
                        }
                    case .catchUp:
                        break
                    }
                    steps.append((id, step))
                }
                return steps
            }
            guard let steps else { return nil }
            var deliveries: [WatchGroup.Delivery] = []
            for (id, step) in steps {
                switch step {
                case .deliver(let events):
                    deliveries.append(.init(watcherID: id, batch: .events(events)))
                case .catchUp(let from, let range, let prevKV, let filter):
                    let outcome = try catchUp(id: id, from: from, range: range, prevKV: prevKV, filter: filter)
                    if case .batch(let batch) = outcome { deliveries.append(.init(watcherID: id, batch: batch)) }
                    if case .ended = outcome { continue }
                    if case .batch(.compacted) = outcome { continue }
                    // Still reading history, or synced with events queued meanwhile: the next call looks again.
                    _ = state.withLock { hub in hub.groups[group]?.markReady(id) }
                case .wait, .ended:
                    break
                }
            }
            if !deliveries.isEmpty { return deliveries }
            await waitForChange(group: group)
        }
    }

    func close(group: Int64) {
        let waiter = state.withLock { hub -> CheckedContinuation<Void, Never>? in
            guard let closed = hub.groups.removeValue(forKey: group) else { return nil }
            for id in closed.members { _ = hub.remove(id) }
            return closed.waiter
        }
        waiter?.resume()
    }

    /// Suspends until a watcher of the group is ready, the group is closed, or the task is cancelled.
    private func waitForChange(group: Int64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { hub -> Bool in
                    guard hub.groups[group] != nil, hub.groups[group]!.ready.isEmpty, !Task.isCancelled else {
                        return false
                    }
                    precondition(hub.groups[group]!.waiter == nil, "WatchGroup.next() called from two tasks at once")
                    hub.groups[group]!.waiter = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { hub -> CheckedContinuation<Void, Never>? in
                defer { hub.groups[group]?.waiter = nil }
                return hub.groups[group]?.waiter
            }
            waiter?.resume()
        }
    }

    private enum CatchUpOutcome {
        case batch(WatchBatch)
        case ended
        case again
    }

    /// Reads one bounded step of history from `from` on, then records how far the watcher got, and makes it
    /// synced if nothing newer than that has been notified yet (later notifies of revisions it has read are
    /// skipped because they lie below its next revision).
    private func catchUp(
        id: Int64, from: Int64, range: KeyRange, prevKV: Bool, filter: WatchFilter
    ) throws -> CatchUpOutcome {
        let compacted = store.compactedRevision
        // etcd reports a watch as compacted when it needs a revision below the compaction revision.
        if from < compacted { return finish(id: id, compactRevision: compacted) }
        // Read before the history, so that everything up to it is visible to the read.
        let through = store.currentRevision
        var events: [Event] = []
        var covered = from - 1
        if from <= through {
            do {
                events = try store.events(
                    from: from, through: through, range: range, prevKV: prevKV,
                    limitRevisions: Self.catchUpRevisions)
            } catch MVCCError.compacted(_, let compactedRevision) {
                return finish(id: id, compactRevision: compactedRevision)
            }
            covered = Self.truncate(&events, through: through)
        }
        events.removeAll { !filter.admits($0) }

        let live = state.withLock { hub -> Bool in
            guard hub.watchers[id] != nil else { return false }
            if hub.latestNotified > covered && hub.committedRevision <= covered {
                // The store has nothing newer than `covered` yet; the hub holds the rest.
                covered = Self.takeUncommitted(
                    hub.uncommitted, after: covered, through: hub.latestNotified, for: hub.watchers[id]!,
                    into: &events)
            }
            // Only this consumer moves an unsynced watcher, so nothing changed it while we read.
            hub.watchers[id]!.nextRevision = covered + 1
            // Otherwise a commit trimmed what the hub held before this read reached it: read the store again.
            if hub.latestNotified <= covered {
                hub.watchers[id]!.isSynced = true
                hub.slowWatcherCount -= 1
            }
            return true
        }
        guard live else { return .ended }
        return events.isEmpty ? .again : .batch(.events(events))
    }

    /// Appends the events of `uncommitted` after revision `after` that `watcher` admits, as `notify` would have
    /// queued them, whole revisions at a time while the batch stays within `maxBatchEvents`; returns the last
    /// revision accounted for.
    static func takeUncommitted(
        _ uncommitted: [Event], after: Int64, through: Int64, for watcher: WatcherState, into events: inout [Event]
    ) -> Int64 {
        var index = uncommitted.firstIndex { $0.kv.modRevision > after } ?? uncommitted.endIndex
        var covered = after
        while index < uncommitted.endIndex {
            let revision = uncommitted[index].kv.modRevision
            var share: [Event] = []
            while index < uncommitted.endIndex, uncommitted[index].kv.modRevision == revision {
                let event = uncommitted[index]
                index += 1
                guard watcher.range.contains(event.kv.key), let admitted = watcher.admitted(event) else { continue }
                share.append(admitted)
            }
            if !events.isEmpty && events.count + share.count > maxBatchEvents { return covered }
            events += share
            covered = revision
        }
        return through
    }

    /// Cuts a catch-up read to a batch of whole revisions and returns the last revision it accounts for.
    static func truncate(_ events: inout [Event], through: Int64) -> Int64 {
        guard let last = events.last else { return through }
        var revisions = 0
        var previous: Int64 = 0
        for (index, event) in events.enumerated() where event.kv.modRevision != previous {
            if index >= maxBatchEvents {
                events.removeSubrange(index...)
                return previous
            }
            previous = event.kv.modRevision
            revisions += 1
        }
        // A read that hit its revision limit may have stopped short of `through`.
        return revisions >= catchUpRevisions ? last.kv.modRevision : through
    }

    private func finish(id: Int64, compactRevision: Int64) -> CatchUpOutcome {
        let removed = state.withLock { hub in hub.remove(id) }
        guard let removed else { return .ended }
        removed.waiter?.resume()
        return .batch(.compacted(compactRevision: compactRevision))
    }

    /// Suspends until the watcher has something to deliver, falls behind, ends, or the task is cancelled.
    private func waitForChange(id: Int64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { hub in
                    hub.watchers[id]?.park(continuation, taskCancelled: Task.isCancelled) ?? false
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { hub in hub.watchers[id]?.takeWaiter() }
            waiter?.resume()
        }
    }
}

/// What the consumer does next, decided under the hub's lock.
enum WatcherStep {
    case deliver([Event])
    case wait
    case catchUp(from: Int64, range: KeyRange, prevKV: Bool, filter: WatchFilter)
    case ended
}

extension WatcherState {
    mutating func takeStep(maxEvents: Int) -> WatcherStep {
        if !queue.isEmpty { return .deliver(queue.popBatch(maxEvents: maxEvents)) }
        if isSynced { return .wait }
        return .catchUp(from: nextRevision, range: range, prevKV: prevKV, filter: filter)
    }

    /// Stores the consumer's continuation unless there is already a reason to run. Returns whether it did.
    mutating func park(_ continuation: CheckedContinuation<Void, Never>, taskCancelled: Bool) -> Bool {
        guard queue.isEmpty, isSynced, !taskCancelled else { return false }
        precondition(waiter == nil, "Watcher.next() called from two tasks at once")
        waiter = continuation
        return true
    }

    mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
        defer { waiter = nil }
        return waiter
    }
}
