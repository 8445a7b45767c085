import CLMDB

/// The environment's single writer. Its changes are visible to itself at once and to others after commit.
/// Obtained from `Environment.write(_:)` (committed when the closure returns), `Environment.beginWrite()`
/// (open until `commit(durability:)` or `abort()`, or until it is released, which aborts it) or `nested(_:)`.
public final class WriteTransaction: Transaction {
    private let parent: WriteTransaction?

    init(environment: Environment, handle: OpaquePointer, parent: WriteTransaction?) {
        self.parent = parent
        super.init(environment: environment, handle: handle)
    }

    deinit {
        abort()
    }

    /// Stores `value` under `key`. Returns `false`, storing nothing, when `.noOverwrite` /
    /// `.noDuplicateData` / `.append` forbid the write (`MDB_KEYEXIST`).
    @discardableResult
    public func put(_ database: Database, key: [UInt8], value: [UInt8], flags: PutFlags = []) throws -> Bool {
        let handle = live
        writeGeneration += 1
        let rc = key.withMDBVal { keyVal in
            value.withMDBVal { val in mdb_put(handle, database.handle, &keyVal, &val, flags.rawValue) }
        }
        if rc == MDB_KEYEXIST { return false }
        try check(rc)
        return true
    }

    /// Deletes `key` with all its values. Returns whether it existed.
    @discardableResult
    public func delete(_ database: Database, key: [UInt8]) throws -> Bool {
        let handle = live
        writeGeneration += 1
        let rc = key.withMDBVal { keyVal in mdb_del(handle, database.handle, &keyVal, nil) }
        if rc == MDB_NOTFOUND { return false }
        try check(rc)
        return true
    }

    /// Deletes one key/value pair of a duplicate-sorted database. Returns whether it existed.
    @discardableResult
    public func delete(_ database: Database, key: [UInt8], value: [UInt8]) throws -> Bool {
        let handle = live
        writeGeneration += 1
        let rc = key.withMDBVal { keyVal in
            value.withMDBVal { val in mdb_del(handle, database.handle, &keyVal, &val) }
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc)
        return true
    }

    /// Removes every entry of `database` (the database itself stays).
    public func empty(_ database: Database) throws {
        let handle = live
        writeGeneration += 1
        try check(mdb_drop(handle, database.handle, 0))
    }

    /// Runs `body` in a child transaction: its changes join this transaction when `body` returns, and are
    /// discarded when it throws (this transaction is then unchanged and still usable). This transaction and
    /// its cursors must not be used inside `body`.
    @discardableResult
    public func nested<R>(_ body: (WriteTransaction) throws -> R) throws -> R {
        var child: OpaquePointer?
        try check(mdb_txn_begin(environment.live, live, 0, &child))
        let transaction = WriteTransaction(environment: environment, handle: child!, parent: self)
        hasActiveChild = true
        let result: R
        do {
            result = try body(transaction)
        } catch {
            transaction.abort()
            hasActiveChild = false
            writeGeneration += 1
            throw error
        }
        defer {
            hasActiveChild = false
            writeGeneration += 1
        }
        try transaction.commitHandle()
        return result
    }

    /// Commits the changes. `durability` weakens the environment's for this commit alone (it cannot
    /// strengthen it); the next fully synced commit makes a weakened one durable too, since both live in the
    /// same file. The transaction has ended afterwards, whether or not the commit succeeded.
    public func commit(durability: EnvironmentConfiguration.Durability = .full) throws {
        precondition(parent == nil, "a nested transaction is committed by nested(_:)")
        precondition(isActive, "LMDB transaction committed after it ended")
        let weaker = environment.weakening(to: durability)
        if weaker != 0 {
            let rc = mdb_env_set_flags(environment.live, weaker, 1)
            if rc != 0 {
                abort()
                throw LMDBError(code: rc)
            }
        }
        defer {
            // The flags are restored before the writer lock goes, so that no other commit runs with them.
            if weaker != 0 { mdb_env_set_flags(environment.live, weaker, 0) }
            environment.writers.unlock()
        }
        try commitHandle()
    }

    /// Discards the changes. Harmless once the transaction has ended.
    public func abort() {
        guard let handle = ended() else { return }
        mdb_txn_abort(handle)
        if parent == nil { environment.writers.unlock() }
    }

    /// Commits the LMDB transaction, which LMDB frees whether or not the commit succeeds. A nested
    /// transaction's changes join its parent's.
    private func commitHandle() throws {
        precondition(!hasActiveChild, "LMDB transaction committed while a nested transaction is active")
        guard let handle = ended() else { preconditionFailure("LMDB transaction committed after it ended") }
        try check(mdb_txn_commit(handle))
    }
}
