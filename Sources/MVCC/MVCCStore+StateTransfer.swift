import LMDB

extension MVCCStore {
    /// The whole key space as bytes (see `StateTransferPayload` for the format): every pair of the meta,
    /// history, key index, lease and lease-key databases, read in one LMDB read transaction, so the payload
    /// is one consistent state even while writes commit. It carries the revisions, the consistent index and
    /// the free-form meta values of the layer above as they were in that state.
    public func exportState() throws -> [UInt8] {
        try read("export state") { reader in
            try StateTransferPayload.encode(databases.all, in: reader.txn)
        }
    }

    /// Replaces the whole key space with a payload from `exportState()` (on another member, typically).
    ///
    /// The payload is checked completely — magic, version, checksum, structure — before anything is
    /// touched; a truncated or damaged one throws `.invalidStatePayload`. Then, in one write transaction of
    /// the environment: the five databases are emptied and loaded from the payload; the meta values named in
    /// `names` (see `MVCCWriteBatch.setMeta`) keep their local values where this store has them (otherwise
    /// the payload's stay); `alongside` writes the caller's own databases (such as the Raft log) in the same
    /// transaction; and all of it commits at once. Afterwards the revisions and consistent index this store
    /// reports are the payload's.
    ///
    /// If anything throws — the payload, LMDB, or `alongside`, whose errors are rethrown unchanged — nothing
    /// changes, in the environment or in the values this store reports. Watchers are not notified: the layer
    /// above resynchronizes them after a successful replace.
    public func replaceState(
        with bytes: [UInt8],
        preservingMeta names: [String],
        alongside: (WriteTransaction) throws -> Void
    ) throws {
        let databases = self.databases
        let preservedKeys = names.map(MetaKey.external)
        let maxKeySize = environment.maxKeySize
        let newMeta: StoreMeta = try bytes.withUnsafeBytes { raw in
            let payload = try StateTransferPayload(validating: raw, databases: databases.all, maxKeySize: maxKeySize)
            do {
                return try environment.write { txn in
                    try Self.load(payload, into: txn, databases: databases, preserving: preservedKeys)
                    do {
                        try alongside(txn)
                    } catch {
                        throw AlongsideFailure(underlying: error)
                    }
                    return try KeySpaceReader(txn: txn, databases: databases).meta()
                }
            } catch let failure as AlongsideFailure {
                throw failure.underlying
            } catch let error as LMDBError {
                throw MVCCError.storage("replace state: \(error)")
            }
        }
        cachedMeta.withLock { $0 = newMeta }
    }

    /// Empties the key-space databases and writes the payload's pairs, keeping the local values of the
    /// preserved meta keys.
    private static func load(
        _ payload: StateTransferPayload,
        into txn: WriteTransaction,
        databases: KeySpaceDatabases,
        preserving preservedKeys: [[UInt8]]
    ) throws {
        var kept: [(key: [UInt8], value: [UInt8])] = []
        for key in preservedKeys {
            if let value = try txn.get(databases.meta, key) { kept.append((key, value)) }
        }
        let all = databases.all
        for database in all { try txn.empty(database) }
        // The payload is validated to be in LMDB order, so every pair goes at the end of its database:
        // the fast bulk-loading path, which also leaves the pages full.
        let flags: [PutFlags] = all.map { $0.flags.contains(.duplicateSort) ? .appendDuplicate : .append }
        try payload.walk { section, key, value in
            guard try txn.put(all[section], key: [UInt8](key), value: [UInt8](value), flags: flags[section]) else {
                throw MVCCError.storage("replace state: \(all[section].name ?? "") refused a pair out of order")
            }
        }
        for (key, value) in kept {
            try txn.put(databases.meta, key: key, value: value)
        }
    }
}

/// Carries an error of the caller's `alongside` closure through the store's own error mapping unchanged.
private struct AlongsideFailure: Error {
    let underlying: any Error
}
