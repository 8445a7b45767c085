/// What one call to `Watcher.next()` hands to the consumer.
public enum WatchBatch: Equatable, Sendable {
    /// Events in revision order, made of whole revisions only: every event of a revision that the watcher
    /// admits is in the same batch. Never empty.
    case events([Event])
    /// The watcher's next revision is no longer in the history. The watcher has ended; `next()` returns nil
    /// from now on. `compactRevision` is the store's compacted revision (etcd's `compact_revision`).
    case compacted(compactRevision: Int64)
}
