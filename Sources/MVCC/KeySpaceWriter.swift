import LMDB

/// Applies one batch entry inside its own nested LMDB transaction. Every change it makes takes the next
/// sub-revision of `revision`; its events record them in order.
struct KeySpaceWriter {
    let txn: WriteTransaction
    let databases: KeySpaceDatabases
    /// The store revision before this entry.
    let baseRevision: Int64
    var compactedRevision: Int64
    private(set) var nextSub: Int64 = 0
    private(set) var events: [Event] = []

    init(txn: WriteTransaction, databases: KeySpaceDatabases, baseRevision: Int64, compactedRevision: Int64) {
        self.txn = txn
        self.databases = databases
        self.baseRevision = baseRevision
        self.compactedRevision = compactedRevision
    }

    /// The revision this entry's changes take.
    var revision: Int64 { baseRevision + 1 }
    var hasChanges: Bool { nextSub > 0 }
    /// The revision a read inside this entry sees as current (its own changes included, as etcd does).
    var readRevision: Int64 { hasChanges ? revision : baseRevision }
    var reader: KeySpaceReader { KeySpaceReader(txn: txn, databases: databases) }

    // MARK: Put

    static func validate(_ request: PutRequest) throws {
        guard !request.key.isEmpty else { throw MVCCError.emptyKey }
        guard request.key.count <= MVCCStore.maxKeySize else { throw MVCCError.keyTooLarge(request.key.count) }
        if request.ignoreValue && !request.value.isEmpty { throw MVCCError.valueProvided }
        if request.ignoreLease && request.lease != 0 { throw MVCCError.leaseProvided }
    }

    /// A put outside a txn: checks as etcd's applier (lease first, then the key for the ignore flags).
    mutating func put(_ request: PutRequest) throws -> PutResponse {
        try Self.validate(request)
        if request.lease != 0, try reader.lease(request.lease) == nil {
            throw MVCCError.leaseNotFound(request.lease)
        }
        return try applyPut(request)
    }

    /// Writes a validated put.
    mutating func applyPut(_ request: PutRequest) throws -> PutResponse {
        let previous = try reader.latestKeyValue(request.key)
        if request.ignoreValue || request.ignoreLease {
            guard previous != nil else { throw MVCCError.keyNotFoundForIgnore }
        }
        let value = request.ignoreValue ? previous!.value : request.value
        let lease = request.ignoreLease ? previous!.lease : request.lease
        try writePut(key: request.key, value: value, lease: lease, previous: previous)
        return PutResponse(prevKV: request.prevKV ? previous : nil)
    }

    private mutating func takeRevision() -> Revision {
        defer { nextSub += 1 }
        return Revision(main: revision, sub: nextSub)
    }

    private mutating func writePut(key: [UInt8], value: [UInt8], lease: Int64, previous: KeyValue?) throws {
        let at = takeRevision()
        let kv = KeyValue(
            key: key,
            createRevision: previous?.createRevision ?? at.main,
            modRevision: at.main,
            version: (previous?.version ?? 0) + 1,
            value: value,
            lease: lease
        )
        let record = HistoryRecord.encodePut(
            key: key,
            createRevision: kv.createRevision,
            version: kv.version,
            lease: lease,
            value: value
        )
        guard try txn.put(databases.history, key: at.bytes, value: record, flags: .append) else {
            throw MVCCError.storage("history already has a record at or after \(at)")
        }
        let indexKey = IndexKey.of(key)
        try txn.put(databases.keyIndex, key: indexKey, value: IndexEntry(revision: at, isTombstone: false).bytes)
        let oldLease = previous?.lease ?? 0
        if oldLease != lease {
            if oldLease != 0 { try txn.delete(databases.leaseKeys, key: oldLease.leaseKey, value: indexKey) }
            if lease != 0 {
                try txn.put(databases.leaseKeys, key: lease.leaseKey, value: indexKey, flags: .noDuplicateData)
            }
        }
        events.append(Event(kind: .put, kv: kv, prevKV: previous))
    }

    // MARK: Delete

    /// Deletes the existing keys of the range, each with its own sub-revision in key order.
    mutating func deleteRange(_ request: DeleteRangeRequest) throws -> DeleteRangeResponse {
        guard !request.key.isEmpty else { throw MVCCError.emptyKey }
        let doomed = try reader.liveKeyValues(in: request.keyRange, at: Int64.max)
        for kv in doomed {
            try writeTombstone(previous: kv)
        }
        return DeleteRangeResponse(deleted: Int64(doomed.count), prevKVs: request.prevKV ? doomed : [])
    }

    private mutating func writeTombstone(previous: KeyValue) throws {
        let at = takeRevision()
        let record = HistoryRecord.encodeTombstone(key: previous.key)
        guard try txn.put(databases.history, key: at.bytes, value: record, flags: .append) else {
            throw MVCCError.storage("history already has a record at or after \(at)")
        }
        let indexKey = IndexKey.of(previous.key)
        try txn.put(databases.keyIndex, key: indexKey, value: IndexEntry(revision: at, isTombstone: true).bytes)
        if previous.lease != 0 {
            try txn.delete(databases.leaseKeys, key: previous.lease.leaseKey, value: indexKey)
        }
        events.append(Event(kind: .delete, kv: KeyValue(key: previous.key, modRevision: at.main), prevKV: previous))
    }

    // MARK: Leases

    mutating func grantLease(id: Int64, ttl: Int64) throws {
        // etcd's lessor refuses id 0 (no lease) as "not found".
        guard id != 0 else { throw MVCCError.leaseNotFound(id) }
        guard try reader.lease(id) == nil else { throw MVCCError.leaseExists(id) }
        try txn.put(databases.leases, key: id.leaseKey, value: .bigEndian(UInt64(bitPattern: ttl)))
    }

    /// Deletes the lease and, in key order, every key attached to it.
    mutating func revokeLease(id: Int64) throws {
        guard try reader.lease(id) != nil else { throw MVCCError.leaseNotFound(id) }
        for key in try reader.keys(attachedTo: id) {
            if let kv = try reader.latestKeyValue(key) {
                try writeTombstone(previous: kv)
            }
        }
        try txn.delete(databases.leaseKeys, key: id.leaseKey)
        try txn.delete(databases.leases, key: id.leaseKey)
    }
}
