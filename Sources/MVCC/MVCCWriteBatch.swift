import LMDB

/// The entries of one write batch, applied in order inside one LMDB write transaction (so one fsync for
/// the whole batch). Obtained only inside `MVCCStore.write`.
///
/// Each entry takes the next main revision if, and only if, it changes keys. An entry that throws changes
/// nothing (it runs in a nested LMDB transaction) and the batch goes on. Not Sendable, not copyable: it is
/// bound to the write transaction.
public struct MVCCWriteBatch: ~Copyable {
    private let txn: WriteTransaction
    private let databases: KeySpaceDatabases
    /// The store revision after the entries applied so far.
    public private(set) var currentRevision: Int64
    /// The compacted revision after the entries applied so far.
    public private(set) var compactedRevision: Int64
    private var events: [Event] = []

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
        try apply("put") { try $0.put(request) }
    }

    /// Deletes the keys of a range in one revision; takes no revision when nothing was deleted.
    public mutating func deleteRange(_ request: DeleteRangeRequest) throws -> DeleteRangeResponse {
        try apply("delete range") { try $0.deleteRange(request) }
    }

    /// Runs a txn: one revision if any of its operations writes, none otherwise. Reads inside it see the
    /// writes made before them in the same txn.
    public mutating func txn(_ request: TxnRequest) throws -> TxnResponse {
        try apply("txn") { try $0.txn(request) }
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

    private mutating func apply<R>(_ what: String, _ body: (inout KeySpaceWriter) throws -> R) throws -> R {
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
        if outcome.writer.hasChanges {
            currentRevision = outcome.writer.revision
            events.append(contentsOf: outcome.writer.events)
        }
        compactedRevision = outcome.writer.compactedRevision
        return outcome.result
    }

    /// Records the batch's revisions and applied index; returns its events.
    consuming func finish(consistentIndex: UInt64) throws -> (events: [Event], meta: StoreMeta) {
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
