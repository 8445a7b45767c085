import LMDB

extension KeySpaceWriter {
    /// Keys whose history is cleaned per pass; bounds the memory a compaction needs.
    static let compactionChunk = 10_000

    /// Compacts the history at `revision` as etcd does: for each key, the greatest change <= `revision` is
    /// kept unless it is a deletion; every older change (and such a deletion) is removed. Only keys changed
    /// since the previous compaction can have anything to remove, so only those are visited.
    mutating func compact(_ revision: Int64) throws {
        if revision <= compactedRevision {
            throw MVCCError.compacted(requested: revision, compactedRevision: compactedRevision)
        }
        if revision > baseRevision {
            throw MVCCError.futureRevision(requested: revision, current: baseRevision)
        }
        var from: Revision? = Revision(main: compactedRevision + 1)
        while let start = from {
            var keys: Set<[UInt8]> = []
            from = nil
            try txn.withCursor(databases.history) { cursor in
                var found = try cursor.seek(atLeast: start.bytes)
                while found {
                    let done = try cursor.withCurrent { rawRevision, rawRecord -> Bool in
                        let at = Revision(decoding: rawRevision)
                        if at.main > revision { return true }
                        let key = [UInt8](try HistoryRecord.key(of: rawRecord))
                        if keys.count >= Self.compactionChunk && !keys.contains(key) {
                            from = at
                            return true
                        }
                        keys.insert(key)
                        return false
                    }
                    if done { break }
                    found = try cursor.next()
                }
            }
            for key in keys.sorted(by: { compareBytes($0, $1) < 0 }) {
                try compactKey(key, at: revision)
            }
        }
        compactedRevision = revision
        try txn.put(databases.meta, key: MetaKey.compactedRevision, value: .bigEndian(UInt64(bitPattern: revision)))
    }

    private mutating func compactKey(_ userKey: [UInt8], at revision: Int64) throws {
        let key = IndexKey.of(userKey)
        let doomed: [IndexEntry] = try txn.withCursor(databases.keyIndex) { cursor in
            // The greatest entry <= revision decides what stays.
            let keep: IndexEntry
            if try cursor.seek(to: key, valueAtLeast: Revision(main: revision + 1).bytes) {
                guard try cursor.previousDuplicate() else { return [] }
                keep = try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
            } else {
                guard try cursor.seek(to: key), try cursor.lastDuplicate() else { return [] }
                keep = try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
            }
            var doomed: [IndexEntry] = []
            var found = try cursor.firstDuplicate()
            while found {
                let entry = try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
                if entry.revision > keep.revision || (entry.revision == keep.revision && !keep.isTombstone) {
                    break
                }
                doomed.append(entry)
                found = try cursor.nextDuplicate()
            }
            return doomed
        }
        for entry in doomed {
            try txn.delete(databases.keyIndex, key: key, value: entry.bytes)
            try txn.delete(databases.history, key: entry.revision.bytes)
        }
    }
}
