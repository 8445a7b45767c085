import LMDB
import Synchronization

/// The revisioned key space of one member (etcd's MVCC model) over one LMDB environment.
///
/// Guarantees:
/// - Every read runs in its own LMDB read transaction: it sees one consistent revision, never blocks
///   writes, and may run on any thread at the same time as a write.
/// - A write batch is one LMDB write transaction: all of it, with its consistent index, is durable at once
///   or not at all. Writes must be serialized by the caller (LMDB also serializes them).
/// - Nothing is loaded or rebuilt at start-up: the key index is persisted, so opening costs a few page reads.
/// - Keys are never empty and may be of any length up to `maxKeySize`, ordered byte-wise as etcd orders them,
///   although LMDB limits its keys to 511 bytes (see `IndexKey`).
public final class MVCCStore: Sendable {
    /// The longest key accepted: etcd's default request size limit (1.5 MiB), which no key in an accepted
    /// request can exceed.
    public static let maxKeySize = 1536 * 1024

    public let environment: Environment
    let databases: KeySpaceDatabases
    /// The meta values of the last committed state; replaced after each commit that changes them.
    let cachedMeta: Mutex<StoreMeta>

    /// Opens (creating if needed) the named databases in `environment`. No scan of the key space happens here.
    public init(environment: Environment) throws {
        self.environment = environment
        do {
            let databases = try KeySpaceDatabases(environment: environment)
            self.databases = databases
            let meta = try environment.read { try KeySpaceReader(txn: $0, databases: databases).meta() }
            self.cachedMeta = Mutex(meta)
        } catch let error as LMDBError {
            throw MVCCError.storage("opening the key space: \(error)")
        }
    }

    /// The revision of the last write; 1 on an empty store.
    public var currentRevision: Int64 { cachedMeta.withLock { $0.currentRevision } }
    /// The revision of the last compaction; 0 if never compacted.
    public var compactedRevision: Int64 { cachedMeta.withLock { $0.compactedRevision } }
    /// The index of the last applied log entry, stored with each batch.
    public var consistentIndex: UInt64 { cachedMeta.withLock { $0.consistentIndex } }

    // MARK: Reads

    func read<R>(_ what: String, _ body: (KeySpaceReader) throws -> R) throws -> R {
        do {
            return try environment.read { try body(KeySpaceReader(txn: $0, databases: databases)) }
        } catch let error as LMDBError {
            throw MVCCError.storage("\(what): \(error)")
        }
    }

    /// Reads keys; see `RangeRequest`. Throws `.emptyKey`, `.futureRevision`, `.compacted`.
    public func range(_ request: RangeRequest) throws -> RangeResponse {
        try rangeWithRevision(request).response
    }

    /// `range`, with the store's current revision in the snapshot that was read (etcd's header revision).
    public func rangeWithRevision(_ request: RangeRequest) throws -> (response: RangeResponse, revision: Int64) {
        try read("range") { reader in
            let meta = try reader.meta()
            let response = try reader.range(
                request,
                currentRevision: meta.currentRevision,
                compactedRevision: meta.compactedRevision
            )
            return (response, meta.currentRevision)
        }
    }

    /// Events with revision in [from, through] for keys in `range`, ordered by revision then sub-revision,
    /// at most `limitRevisions` revisions' worth (whole revisions only; a revision's events are never split;
    /// 0 for no limit). Revisions without a matching event do not count toward the limit, so when the result
    /// holds fewer than `limitRevisions` revisions every revision up to `through` was examined.
    /// Throws `.compacted` if `from < compactedRevision` (as etcd's watch: watching from the compacted
    /// revision itself is allowed). `prevKV` fills `Event.prevKV` (nil where that history is compacted away).
    public func events(
        from: Int64,
        through: Int64,
        range: KeyRange,
        prevKV: Bool,
        limitRevisions: Int
    ) throws -> [Event] {
        try read("events") { reader in
            let meta = try reader.meta()
            if from < meta.compactedRevision {
                throw MVCCError.compacted(requested: from, compactedRevision: meta.compactedRevision)
            }
            return try reader.events(
                from: from,
                through: through,
                range: range,
                prevKV: prevKV,
                limitRevisions: limitRevisions
            )
        }
    }

    public func leases() throws -> [LeaseRecord] {
        try read("list leases") { try $0.leases() }
    }

    public func lease(_ id: Int64) throws -> LeaseRecord? {
        try read("read lease") { try $0.lease(id) }
    }

    /// The keys attached to the lease, in byte order.
    public func keys(attachedTo lease: Int64) throws -> [[UInt8]] {
        try read("read lease keys") { try $0.keys(attachedTo: lease) }
    }

    /// A free-form value stored with `MVCCWriteBatch.setMeta`.
    public func getMeta(_ name: String) throws -> [UInt8]? {
        try read("get meta \(name)") { try $0.txn.get(databases.meta, MetaKey.external(name)) }
    }

    /// Size of the data file in bytes.
    public var dbSizeBytes: Int64 {
        Int64((try? environment.dataFileSize()) ?? 0)
    }

    /// Bytes of the data file holding live data (pages in use times page size).
    public var dbSizeInUseBytes: Int64 {
        guard let pages = try? environment.pagesInUse(), let info = try? environment.info() else { return 0 }
        return Int64(pages) * Int64(info.pageSize)
    }

    // MARK: Writes

    /// Applies a batch: `body` calls the batch's methods, each of which applies one entry (see
    /// `MVCCWriteBatch`). When `body` returns, the batch and `consistentIndex` are committed together and
    /// the events of every entry are returned, in order, each with its `prevKV` filled in. When `body`
    /// throws, nothing of the batch is kept and the error is rethrown. `durability` is the commit's (see
    /// `Environment.write(durability:_:)`): a batch whose entries are already durable elsewhere (in the Raft
    /// log) may skip the meta page sync.
    @discardableResult
    public func write<R>(
        consistentIndex: UInt64,
        durability: EnvironmentConfiguration.Durability = .full,
        _ body: (inout MVCCWriteBatch) throws -> R
    ) throws -> (result: R, events: [Event]) {
        let transaction = try beginWrite()
        let outcome = try transaction.write(consistentIndex: consistentIndex, body)
        try transaction.commit(durability: durability)
        return outcome
    }

    /// Begins a write transaction that holds batches until it commits (see `MVCCWriteTransaction`), so that
    /// several batches share one commit and its sync. Waits while another write transaction is open.
    public func beginWrite() throws -> MVCCWriteTransaction {
        try MVCCWriteTransaction(store: self)
    }
}
