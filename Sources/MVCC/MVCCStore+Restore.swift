import LMDB

extension MVCCStore {
    /// Number of live (not deleted) keys at the current revision.
    public func keyCount() throws -> Int {
        let response = try range(RangeRequest(key: [0], rangeEnd: [0], countOnly: true))
        return Int(response.count)
    }

    /// Raises the current revision by `amount` without changing any key, as etcd's restore does with
    /// `--bump-revision`: revisions the store hands out afterwards were never handed out by the store the
    /// data came from, so a client that remembers an old revision can never mistake a new change for it.
    /// With `markCompacted`, the history is then compacted at the new revision, so that a watch or a read
    /// from any revision before it is answered as compacted rather than silently missing changes.
    ///
    /// One write transaction: either all of it is durable or none. The consistent index is unchanged.
    /// Returns the new current revision. Throws `.compacted` for `markCompacted` when the store is already
    /// compacted at the revision it would mark, `.storage` when the revision would overflow.
    @discardableResult
    public func bumpRevision(by amount: UInt64, markCompacted: Bool) throws -> Int64 {
        let databases = self.databases
        let newMeta: StoreMeta
        do {
            newMeta = try environment.write { txn in
                var meta = try KeySpaceReader(txn: txn, databases: databases).meta()
                guard amount <= UInt64(Int64.max - meta.currentRevision) else {
                    throw MVCCError.storage("bumping revision \(meta.currentRevision) by \(amount) overflows")
                }
                let bumped = meta.currentRevision + Int64(amount)
                meta.currentRevision = bumped
                try txn.put(
                    databases.meta,
                    key: MetaKey.currentRevision,
                    value: .bigEndian(UInt64(bitPattern: bumped))
                )
                if markCompacted {
                    var writer = KeySpaceWriter(
                        txn: txn,
                        databases: databases,
                        baseRevision: bumped,
                        compactedRevision: meta.compactedRevision
                    )
                    try writer.compact(bumped)
                    meta.compactedRevision = writer.compactedRevision
                }
                return meta
            }
        } catch let error as LMDBError {
            throw MVCCError.storage("bump revision: \(error)")
        }
        cachedMeta.withLock { $0 = newMeta }
        return newMeta.currentRevision
    }
}
