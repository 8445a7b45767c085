import LMDB

/// The entries of one write batch, applied in order inside one LMDB write transaction (so one fsync for
/// the whole batch). Obtained only inside `MVCCStore.write` and `MVCCWriteTransaction.write`.
///
/// Each entry takes the next main revision if, and only if, it changes keys. An entry that throws an error
/// other than `MVCCError.storage` changes nothing and the batch goes on: puts, delete ranges and txns check
/// everything before their first write, and the other entries run in a nested LMDB transaction. After a
/// storage error the batch holds part of an entry and refuses to go on; its transaction must be aborted.
/// Not Sendable, not copyable: it is bound to the write transaction.
public struct MVCCWriteBatch: ~Copyable {
    private let txn: WriteTransaction
    private let databases: KeySpaceDatabases
    /// The store revision after the entries applied so far.
    public private(set) var currentRevision: Int64
    /// The compacted revision after the entries applied so far.
    public private(set) var compactedRevision: Int64
    private var events: [Event] = []
    /// Set when an entry applied in place failed in the storage after writing part of itself.
    private var failure: MVCCError?

    /// The batch's LMDB transaction, for the layer above to write its own databases (such as the Raft log)
    /// atomically with the batch. Never use it to touch the key-space databases, whose invariants only the
    /// batch's methods keep.
    public var transaction: WriteTransaction { txn }

    init(txn: WriteTransaction, databases: KeySpaceDatabases, meta: StoreMeta) {
        self.txn = txn
        self.databases = databases
        self.currentRevision = meta.currentRevision
        self.compactedRevision = meta.compactedRevision
    }

    /// Puts a key. The response's revision (etcd's header) is `currentRevision` afterwards.
    public mutating func put(_ request: PutRequest) throws -> PutResponse {
        try applyInPlace("put") { try $0.put(request) }
    }

    /// Deletes the keys of a range in one revision; takes no revision when nothing was deleted.
    public mutating func deleteRange(_ request: DeleteRangeRequest) throws -> DeleteRangeResponse {
        try applyInPlace("delete range") { try $0.deleteRange(request) }
    }

    /// Runs a txn: one revision if any of its operations writes, none otherwise. Reads inside it see the
    /// writes made before them in the same txn.
    public mutating func txn(_ request: TxnRequest) throws -> TxnResponse {
        try applyInPlace("txn") { try $0.txn(request) }
    }

    /// Removes the history older than `revision` (see `MVCCStore`); takes no revision.
    /// Throws `.compacted` if `revision <= compactedRevision`, `.futureRevision` if it is above the current one.
    public mutating func compact(_ revision: Int64) throws {
        try apply("compact") { try $0.compact(revision) }
    }

    /// Records a lease. Throws `.leaseExists`, or `.leaseNotFound(0)` for id 0.
    public mutating func grantLease(id: Int64, ttl: Int64) throws {
        try apply("grant lease") { try $0.grantLease(id: id, ttl: ttl) }
    }

    /// Deletes a lease and every key attached to it, all in one revision (none if no key was attached).
    /// Throws `.leaseNotFound`.
    public mutating func revokeLease(id: Int64) throws {
        try apply("revoke lease") { try $0.revokeLease(id: id) }
    }

    /// Stores a free-form value in the meta database, committed with the batch.
    public mutating func setMeta(_ name: String, _ value: [UInt8]) throws {
        do {
            try txn.put(databases.meta, key: MetaKey.external(name), value: value)
        } catch let error as LMDBError {
            throw MVCCError.storage("set meta \(name): \(error)")
        }
    }

    /// A free-form meta value as this batch sees it.
    public func getMeta(_ name: String) throws -> [UInt8]? {
        do {
            return try txn.get(databases.meta, MetaKey.external(name))
        } catch let error as LMDBError {
            throw MVCCError.storage("get meta \(name): \(error)")
        }
    }

    /// Reads inside the batch, seeing the entries applied so far.
    public func range(_ request: RangeRequest) throws -> RangeResponse {
        do {
            return try KeySpaceReader(txn: txn, databases: databases)
                .range(request, currentRevision: currentRevision, compactedRevision: compactedRevision)
        } catch let error as LMDBError {
            throw MVCCError.storage("range: \(error)")
        }
    }

    /// Runs an entry that checks everything before its first write on the batch's own transaction: one that
    /// fails a check has changed nothing, without the cost of a nested transaction (LMDB allocates its dirty
    /// page list, megabytes, at each begin, and copies every page the child touches). A failure after a write
    /// can only come from the storage, and leaves the batch unusable.
    private mutating func applyInPlace<R>(_ what: String, _ body: (inout KeySpaceWriter) throws -> R) throws -> R {
        if let failure { throw failure }
        var writer = KeySpaceWriter(
            txn: txn, databases: databases, baseRevision: currentRevision, compactedRevision: compactedRevision)
        do {
            let result = try body(&writer)
            record(writer)
            return result
        } catch {
            let broken: MVCCError?
            switch error {
            case let error as LMDBError: broken = .storage("\(what): \(error)")
            case MVCCError.storage(let message): broken = .storage(message)
            default: broken = writer.hasChanges ? .storage("\(what) failed after writing: \(error)") : nil
            }
            guard let broken else { throw error }
            failure = broken
            throw broken
        }
    }

    private mutating func record(_ writer: KeySpaceWriter) {
        if writer.hasChanges {
            currentRevision = writer.revision
            events.append(contentsOf: writer.events)
        }
        compactedRevision = writer.compactedRevision
    }

    private mutating func apply<R>(_ what: String, _ body: (inout KeySpaceWriter) throws -> R) throws -> R {
        if let failure { throw failure }
        let databases = self.databases
        let base = currentRevision
        let compacted = compactedRevision
        let outcome: (result: R, writer: KeySpaceWriter)
        do {
            outcome = try txn.nested { child in
                var writer = KeySpaceWriter(
                    txn: child,
                    databases: databases,
                    baseRevision: base,
                    compactedRevision: compacted
                )
                let result = try body(&writer)
                return (result, writer)
            }
        } catch let error as LMDBError {
            throw MVCCError.storage("\(what): \(error)")
        }
        record(outcome.writer)
        return outcome.result
    }

    /// Records the batch's revisions and applied index; returns its events.
    consuming func finish(consistentIndex: UInt64) throws -> (events: [Event], meta: StoreMeta) {
        if let failure { throw failure }
        try txn.put(
            databases.meta,
            key: MetaKey.currentRevision,
            value: .bigEndian(UInt64(bitPattern: currentRevision))
        )
        try txn.put(databases.meta, key: MetaKey.consistentIndex, value: .bigEndian(consistentIndex))
        let meta = StoreMeta(
            currentRevision: currentRevision,
            compactedRevision: compactedRevision,
            consistentIndex: consistentIndex
        )
        return (events, meta)
    }
}
