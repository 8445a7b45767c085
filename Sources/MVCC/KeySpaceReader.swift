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
        guard !key.isEmpty else { return nil }
        return try latestEntry(indexKey: IndexKey.of(key))
    }

    func latestEntry(indexKey: [UInt8]) throws -> IndexEntry? {
        try txn.withCursor(databases.keyIndex) { cursor in
            guard try cursor.seek(to: indexKey), try cursor.lastDuplicate() else { return nil }
            return try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
        }
    }

    /// The key's current state, or nil when it does not exist.
    func latestKeyValue(_ key: [UInt8], includeValue: Bool = true) throws -> KeyValue? {
        guard let entry = try latestEntry(key), !entry.isTombstone else { return nil }
        let kv = try keyValue(at: entry.revision, includeValue: includeValue)
        guard key.count <= IndexKey.maxDirectCount || kv.key == key else {
            throw MVCCError.storage("two keys share an index digest")
        }
        return kv
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
            if range.isSingleKey {
                guard try cursor.seek(to: IndexKey.of(range.key)),
                    let entry = try entryOfCurrentKey(cursor, at: revision)
                else { return }
                if range.key.count > IndexKey.maxDirectCount {
                    let stored = try withRecord(at: entry.revision) { [UInt8]($0.key) }
                    guard stored == range.key else { throw MVCCError.storage("two keys share an index digest") }
                }
                _ = try range.key.withUnsafeBytes { try body($0, entry) }
                return
            }
            var found = try range.key.isEmpty ? cursor.first() : cursor.seek(atLeast: IndexKey.seekStart(range.key))
            while found {
                let (isLong, past, inRange) = try cursor.withCurrent { key, _ in
                    IndexKey.isLong(key)
                        ? (true, range.isPastEnd(IndexKey.groupPrefix(key)), false)
                        : (false, range.isPastEnd(key), range.contains(key))
                }
                if past { return }
                if isLong {
                    let (proceed, more) = try forEachLiveKeyOfGroup(cursor, in: range, at: revision, body)
                    if !proceed { return }
                    found = more
                    continue
                }
                if inRange, let entry = try entryOfCurrentKey(cursor, at: revision) {
                    let proceed = try cursor.withCurrent { key, _ in try body(key, entry) }
                    if !proceed { return }
                }
                found = try cursor.nextKey()
            }
        }
    }

    /// Visits the group of long keys (see `IndexKey`) starting under the cursor: their index order is by
    /// digest, so the live ones are read, filtered by `range` and sorted by user key first. Leaves the cursor
    /// past the group; returns whether `body` wants more and whether the cursor is on a key.
    private func forEachLiveKeyOfGroup(
        _ cursor: Cursor,
        in range: KeyRange,
        at revision: Int64,
        _ body: (UnsafeRawBufferPointer, IndexEntry) throws -> Bool
    ) throws -> (proceed: Bool, found: Bool) {
        let prefix = try cursor.withCurrent { key, _ in [UInt8](IndexKey.groupPrefix(key)) }
        var members: [(key: [UInt8], entry: IndexEntry)] = []
        var found = true
        while found {
            let inGroup = try cursor.withCurrent { key, _ in
                IndexKey.isLong(key) && compareBytes(IndexKey.groupPrefix(key), prefix) == 0
            }
            if !inGroup { break }
            if let entry = try entryOfCurrentKey(cursor, at: revision) {
                let key = try withRecord(at: entry.revision) { [UInt8]($0.key) }
                if range.contains(key) { members.append((key, entry)) }
            }
            found = try cursor.nextKey()
        }
        members.sort { compareBytes($0.key, $1.key) < 0 }
        for member in members {
            let proceed = try member.key.withUnsafeBytes { try body($0, member.entry) }
            if !proceed { return (false, found) }
        }
        return (true, found)
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
        let indexKeys: [[UInt8]] = try txn.withCursor(databases.leaseKeys) { cursor in
            var out: [[UInt8]] = []
            var found = try cursor.seek(to: id.leaseKey)
            while found {
                out.append(try cursor.value())
                found = try cursor.nextDuplicate()
            }
            return out
        }
        var keys: [[UInt8]] = []
        keys.reserveCapacity(indexKeys.count)
        var hasLong = false
        for indexKey in indexKeys {
            guard indexKey.count > IndexKey.maxDirectCount else {
                keys.append(indexKey)
                continue
            }
            // A long key's index form: the attached key is live, so its last record holds the whole key.
            guard let entry = try latestEntry(indexKey: indexKey), !entry.isTombstone else {
                throw MVCCError.storage("a lease names a key that does not exist")
            }
            keys.append(try withRecord(at: entry.revision) { [UInt8]($0.key) })
            hasLong = true
        }
        if hasLong { keys.sort { compareBytes($0, $1) < 0 } }
        return keys
    }
}
