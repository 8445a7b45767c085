import LMDB

/// Reads the key space through one LMDB transaction (a read snapshot, or the batch's write transaction, in
/// which case it sees the batch's own changes). All work is cursor seeks: nothing is loaded in memory first.
struct KeySpaceReader {
    let txn: Transaction
    let databases: KeySpaceDatabases

    // MARK: Meta

    func meta() throws -> StoreMeta {
        var meta = StoreMeta()
        if let v = try txn.get(databases.meta, MetaKey.currentRevision).flatMap(decodeBigEndian) {
            meta.currentRevision = Int64(bitPattern: v)
        }
        if let v = try txn.get(databases.meta, MetaKey.compactedRevision).flatMap(decodeBigEndian) {
            meta.compactedRevision = Int64(bitPattern: v)
        }
        if let v = try txn.get(databases.meta, MetaKey.consistentIndex).flatMap(decodeBigEndian) {
            meta.consistentIndex = v
        }
        return meta
    }

    // MARK: Single keys

    /// The key's last index entry (which may be a tombstone), or nil if the key has no history.
    func latestEntry(_ key: [UInt8]) throws -> IndexEntry? {
        guard Self.isStorable(key) else { return nil }
        return try txn.withCursor(databases.keyIndex) { cursor in
            guard try cursor.seek(to: key), try cursor.lastDuplicate() else { return nil }
            return try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
        }
    }

    /// The key's current state, or nil when it does not exist.
    func latestKeyValue(_ key: [UInt8], includeValue: Bool = true) throws -> KeyValue? {
        guard let entry = try latestEntry(key), !entry.isTombstone else { return nil }
        return try keyValue(at: entry.revision, includeValue: includeValue)
    }

    /// The state recorded by the put at `revision`.
    func keyValue(at revision: Revision, includeValue: Bool) throws -> KeyValue {
        try withRecord(at: revision) { record in
            record.keyValue(modRevision: revision.main, includeValue: includeValue)
        }
    }

    func withRecord<R>(at revision: Revision, _ body: (HistoryRecord) throws -> R) throws -> R {
        try txn.withValue(databases.history, revision.bytes) { raw in
            guard let raw else { throw MVCCError.storage("history record \(revision) is missing") }
            return try body(HistoryRecord(decoding: raw))
        }
    }

    /// Whether LMDB can hold `key` at all; longer keys can never have been written.
    static func isStorable(_ key: [UInt8]) -> Bool {
        !key.isEmpty && key.count <= MVCCStore.maxKeySize
    }

    // MARK: Key ranges

    /// Calls `body` with each key of `range` that exists at `revision`, in key order, with the index entry
    /// that gives its state then. `body` returns false to stop. The key buffer is valid only during the call.
    func forEachLiveKey(
        in range: KeyRange,
        at revision: Int64,
        _ body: (UnsafeRawBufferPointer, IndexEntry) throws -> Bool
    ) throws {
        if range.key.isEmpty && range.isSingleKey { return }
        try txn.withCursor(databases.keyIndex) { cursor in
            var found: Bool
            if range.key.isEmpty {
                found = try cursor.first()
            } else {
                // Stored keys are at most maxKeySize bytes, so a longer start key can be cut without
                // skipping any of them; keys below the real start are skipped by `contains`.
                found = try cursor.seek(atLeast: Array(range.key.prefix(MVCCStore.maxKeySize)))
            }
            while found {
                let (past, inRange) = try cursor.withCurrent { key, _ in (range.isPastEnd(key), range.contains(key)) }
                if past { return }
                if inRange, let entry = try entryOfCurrentKey(cursor, at: revision) {
                    let proceed = try cursor.withCurrent { key, _ in try body(key, entry) }
                    if !proceed { return }
                }
                if range.isSingleKey { return }
                found = try cursor.nextKey()
            }
        }
    }

    /// The entry giving the state at `revision` of the key under the cursor, nil if the key did not exist
    /// then. Leaves the cursor on one of that key's entries.
    private func entryOfCurrentKey(_ cursor: Cursor, at revision: Int64) throws -> IndexEntry? {
        guard try cursor.lastDuplicate() else { return nil }
        let last = try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
        if last.revision.main <= revision {
            return last.isTombstone ? nil : last
        }
        // The key changed after `revision`: find the greatest entry <= revision.
        let key = try cursor.key()
        guard try cursor.seek(to: key, valueAtLeast: Revision(main: revision + 1).bytes) else {
            throw MVCCError.storage("key index lost its position")
        }
        guard try cursor.previousDuplicate() else { return nil }
        let entry = try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
        return entry.isTombstone ? nil : entry
    }

    /// The states of the keys of `range` at `revision`, in key order.
    func liveKeyValues(in range: KeyRange, at revision: Int64, includeValue: Bool = true) throws -> [KeyValue] {
        var out: [KeyValue] = []
        try forEachLiveKey(in: range, at: revision) { _, entry in
            out.append(try keyValue(at: entry.revision, includeValue: includeValue))
            return true
        }
        return out
    }

    // MARK: Leases

    func lease(_ id: Int64) throws -> LeaseRecord? {
        guard let raw = try txn.get(databases.leases, id.leaseKey), let ttl = decodeBigEndian(raw) else {
            return nil
        }
        return LeaseRecord(id: id, ttl: Int64(bitPattern: ttl))
    }

    func leases() throws -> [LeaseRecord] {
        try txn.withCursor(databases.leases) { cursor in
            var out: [LeaseRecord] = []
            var found = try cursor.first()
            while found {
                let record = try cursor.withCurrent { key, value -> LeaseRecord in
                    guard key.count == 8, value.count == 8 else { throw MVCCError.storage("malformed lease record") }
                    return LeaseRecord(
                        id: Int64(bitPattern: UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))),
                        ttl: Int64(bitPattern: UInt64(bigEndian: value.loadUnaligned(as: UInt64.self)))
                    )
                }
                out.append(record)
                found = try cursor.next()
            }
            return out
        }
    }

    /// Keys attached to the lease, in byte order.
    func keys(attachedTo id: Int64) throws -> [[UInt8]] {
        try txn.withCursor(databases.leaseKeys) { cursor in
            var out: [[UInt8]] = []
            var found = try cursor.seek(to: id.leaseKey)
            while found {
                out.append(try cursor.value())
                found = try cursor.nextDuplicate()
            }
            return out
        }
    }
}
