import LMDB

/// A write transaction on the key space that holds any number of batches until it commits.
///
/// Guarantees:
/// - Readers see none of its batches until `commit(durability:)` returns, then all of them at once, with
///   the consistent index of the last; a crash before the commit keeps none of them.
/// - Each batch sees the batches before it (`consistentIndex` and `currentRevision` are the transaction's
///   own, ahead of the store's while it is open).
/// - A batch that throws ends the transaction: nothing of any of its batches is kept.
/// - Every other writer of the process waits while it is open; it must end on the thread that began it.
public final class MVCCWriteTransaction {
    private let store: MVCCStore
    /// The LMDB transaction, for the layer above to write its own databases (such as the Raft log's state)
    /// atomically with the batches. Never use it to touch the key-space databases.
    public let transaction: WriteTransaction
    private var meta: StoreMeta
    /// Whether batches may still be written and the transaction committed.
    public private(set) var isOpen = true

    init(store: MVCCStore) throws {
        self.store = store
        do {
            transaction = try store.environment.beginWrite()
            meta = try KeySpaceReader(txn: transaction, databases: store.databases).meta()
        } catch let error as LMDBError {
            throw MVCCError.storage("beginning a write transaction: \(error)")
        }
    }

    /// The index of the last applied log entry, as of the batches written so far.
    public var consistentIndex: UInt64 { meta.consistentIndex }
    /// The revision of the last write, as of the batches written so far.
    public var currentRevision: Int64 { meta.currentRevision }

    /// Applies one batch (see `MVCCStore.write`): `body` calls the batch's methods, then the batch records its
    /// revisions and `consistentIndex`. Returns `body`'s result and the batch's events, each with its `prevKV`
    /// filled in. When `body` throws, the whole transaction is aborted and the error rethrown.
    public func write<R>(
        consistentIndex: UInt64, _ body: (inout MVCCWriteBatch) throws -> R
    ) throws -> (result: R, events: [Event]) {
        precondition(isOpen, "writing to a key-space transaction that has ended")
        do {
            var batch = MVCCWriteBatch(txn: transaction, databases: store.databases, meta: meta)
            let result = try body(&batch)
            let (events, newMeta) = try batch.finish(consistentIndex: consistentIndex)
            meta = newMeta
            return (result, events)
        } catch let error as LMDBError {
            abort()
            throw MVCCError.storage("write batch: \(error)")
        } catch {
            abort()
            throw error
        }
    }

    /// Commits every batch (see `Environment.write(durability:_:)` for `durability`) and makes them visible
    /// to readers. The transaction has ended afterwards, whether or not the commit succeeded.
    public func commit(durability: EnvironmentConfiguration.Durability = .full) throws {
        precondition(isOpen, "committing a key-space transaction that has ended")
        isOpen = false
        do {
            try transaction.commit(durability: durability)
        } catch let error as LMDBError {
            throw MVCCError.storage("committing a write transaction: \(error)")
        }
        store.cachedMeta.withLock { $0 = meta }
    }

    /// Discards every batch. Harmless once the transaction has ended.
    public func abort() {
        guard isOpen else { return }
        isOpen = false
        transaction.abort()
    }
}
