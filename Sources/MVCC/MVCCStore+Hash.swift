import LMDB

extension MVCCStore {
    /// etcd's HashKV: a CRC-32C over the history records (revision key and record bytes) with revision
    /// <= `revision` (0: the current one). Records at or below the compacted revision count only if a
    /// compaction at `revision` would keep them (as etcd's). Two stores with the same history and the same
    /// compacted revision give the same hash.
    ///
    /// Returns the hash, the store's current revision (etcd's header revision) and the compacted revision.
    /// Throws `.compacted` when `revision` is at or below the compacted revision, `.futureRevision` above
    /// the current one.
    public func hashKV(revision: Int64) throws -> (hash: UInt32, revision: Int64, compactRevision: Int64) {
        try read("hash key space") { reader in
            let meta = try reader.meta()
            if revision > 0 && revision <= meta.compactedRevision {
                throw MVCCError.compacted(requested: revision, compactedRevision: meta.compactedRevision)
            }
            if revision > meta.currentRevision {
                throw MVCCError.futureRevision(requested: revision, current: meta.currentRevision)
            }
            let upTo = revision == 0 ? meta.currentRevision : revision
            var crc = CRC32C()
            crc.update(Array("history".utf8))
            try reader.txn.withCursor(databases.history) { cursor in
                var found = try cursor.first()
                while found {
                    let done = try cursor.withCurrent { rawRevision, rawRecord -> Bool in
                        let at = Revision(decoding: rawRevision)
                        if at.main > upTo { return true }
                        let counted =
                            try at.main > meta.compactedRevision
                            || !hasChange(reader, of: rawRecord, after: meta.compactedRevision, upTo: upTo)
                        if counted {
                            crc.update(rawRevision)
                            crc.update(rawRecord)
                        }
                        return false
                    }
                    if done { break }
                    found = try cursor.next()
                }
            }
            return (crc.value, meta.currentRevision, meta.compactedRevision)
        }
    }

    /// Whether the record's key changed in (after, upTo]; a record kept by the last compaction is
    /// superseded then.
    private func hasChange(
        _ reader: KeySpaceReader,
        of rawRecord: UnsafeRawBufferPointer,
        after: Int64,
        upTo: Int64
    )
        throws -> Bool
    {
        let key = [UInt8](try HistoryRecord.key(of: rawRecord))
        return try reader.txn.withCursor(databases.keyIndex) { cursor in
            guard try cursor.seek(to: key, valueAtLeast: Revision(main: after + 1).bytes) else { return false }
            let entry = try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
            return entry.revision.main <= upTo
        }
    }

    /// etcd's Maintenance.Hash: a CRC-32C over every record of the key space's databases (name, then each
    /// key and value). Left out: the consistent index (etcd leaves it out too) and the free-form meta values
    /// of the layer above, which may differ between members holding the same data.
    public func hash() throws -> UInt32 {
        try read("hash store") { reader in
            var crc = CRC32C()
            for database in databases.all {
                crc.update(Array((database.name ?? "").utf8))
                try reader.txn.withCursor(database) { cursor in
                    var found = try cursor.first()
                    while found {
                        try cursor.withCurrent { key, value in
                            if database == databases.meta && !MetaKey.isHashed(key) { return }
                            crc.update(key)
                            crc.update(value)
                        }
                        found = try cursor.next()
                    }
                }
            }
            return crc.value
        }
    }
}
