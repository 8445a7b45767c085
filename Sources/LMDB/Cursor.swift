import CLMDB

/// A position in one database of a transaction. Positioning methods return `false` when there is no such
/// item (LMDB's `MDB_NOTFOUND`); the cursor then keeps its previous position.
///
/// Not Sendable; valid only inside the `withCursor` closure that created it.
public final class Cursor {
    private let transaction: Transaction
    private var handle: OpaquePointer?
    private var currentKey = MDB_val()
    private var currentValue = MDB_val()
    /// The transaction's write generation when `currentKey`/`currentValue` were read; `nil` when they must be
    /// re-read (after a write, or after a lookup that leaves them pointing at the caller's bytes).
    private var cachedGeneration: Int?

    init(transaction: Transaction, handle: OpaquePointer) {
        self.transaction = transaction
        self.handle = handle
    }

    func close() {
        if let handle {
            mdb_cursor_close(handle)
            self.handle = nil
        }
    }

    private var live: OpaquePointer {
        _ = transaction.live
        guard let handle else { preconditionFailure("LMDB cursor used outside its withCursor closure") }
        return handle
    }

    private func move(_ op: MDB_cursor_op) throws -> Bool {
        let rc = mdb_cursor_get(live, &currentKey, &currentValue, op)
        if rc == MDB_NOTFOUND {
            cachedGeneration = nil
            return false
        }
        try check(rc)
        cachedGeneration = transaction.writeGeneration
        return true
    }

    private func seek(_ op: MDB_cursor_op, key: [UInt8], value: [UInt8]?, keepsResult: Bool) throws -> Bool {
        let handle = live
        let rc: Int32 = key.withMDBVal { keyVal in
            if let value {
                return value.withMDBVal { val in
                    let rc = mdb_cursor_get(handle, &keyVal, &val, op)
                    currentKey = keyVal
                    currentValue = val
                    return rc
                }
            }
            var val = MDB_val()
            let rc = mdb_cursor_get(handle, &keyVal, &val, op)
            currentKey = keyVal
            currentValue = val
            return rc
        }
        if rc == MDB_NOTFOUND {
            cachedGeneration = nil
            return false
        }
        try check(rc)
        cachedGeneration = keepsResult ? transaction.writeGeneration : nil
        return true
    }

    // MARK: Positioning

    public func first() throws -> Bool { try move(MDB_FIRST) }
    public func last() throws -> Bool { try move(MDB_LAST) }
    public func next() throws -> Bool { try move(MDB_NEXT) }
    public func previous() throws -> Bool { try move(MDB_PREV) }
    /// First value of the next key.
    public func nextKey() throws -> Bool { try move(MDB_NEXT_NODUP) }
    /// Last value of the previous key.
    public func previousKey() throws -> Bool { try move(MDB_PREV_NODUP) }
    /// Next value of the current key.
    public func nextDuplicate() throws -> Bool { try move(MDB_NEXT_DUP) }
    /// Previous value of the current key.
    public func previousDuplicate() throws -> Bool { try move(MDB_PREV_DUP) }
    /// First value of the current key.
    public func firstDuplicate() throws -> Bool { try move(MDB_FIRST_DUP) }
    /// Last value of the current key.
    public func lastDuplicate() throws -> Bool { try move(MDB_LAST_DUP) }

    /// Positions at exactly `key` (its first value).
    public func seek(to key: [UInt8]) throws -> Bool {
        try seek(MDB_SET_KEY, key: key, value: nil, keepsResult: true)
    }

    /// Positions at the first key >= `key`.
    public func seek(atLeast key: [UInt8]) throws -> Bool {
        try seek(MDB_SET_RANGE, key: key, value: nil, keepsResult: true)
    }

    /// Positions at exactly the pair (`key`, `value`) of a duplicate-sorted database.
    public func seek(to key: [UInt8], value: [UInt8]) throws -> Bool {
        try seek(MDB_GET_BOTH, key: key, value: value, keepsResult: false)
    }

    /// Positions at `key`'s first value >= `value` (duplicate-sorted databases).
    public func seek(to key: [UInt8], valueAtLeast value: [UInt8]) throws -> Bool {
        try seek(MDB_GET_BOTH_RANGE, key: key, value: value, keepsResult: false)
    }

    // MARK: The current item

    /// Lends the current key and value to `body` without copying.
    public func withCurrent<R>(
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R
    )
        throws -> R
    {
        if cachedGeneration != transaction.writeGeneration {
            try check(mdb_cursor_get(live, &currentKey, &currentValue, MDB_GET_CURRENT))
            cachedGeneration = transaction.writeGeneration
        }
        return try body(currentKey.buffer, currentValue.buffer)
    }

    /// A copy of the current key.
    public func key() throws -> [UInt8] { try withCurrent { key, _ in [UInt8](key) } }
    /// A copy of the current value.
    public func value() throws -> [UInt8] { try withCurrent { _, value in [UInt8](value) } }

    /// Number of values of the current key.
    public func duplicateCount() throws -> Int {
        var count = 0
        try check(mdb_cursor_count(live, &count))
        return count
    }

    // MARK: Writing (write transactions only)

    /// Stores the pair and positions the cursor on it. Returns `false` when the flags forbid the write.
    @discardableResult
    public func put(key: [UInt8], value: [UInt8], flags: PutFlags = []) throws -> Bool {
        let handle = live
        transaction.writeGeneration += 1
        cachedGeneration = nil
        let rc = key.withMDBVal { keyVal in
            value.withMDBVal { val in mdb_cursor_put(handle, &keyVal, &val, flags.rawValue) }
        }
        if rc == MDB_KEYEXIST { return false }
        try check(rc)
        return true
    }

    /// Deletes the current item (with `allDuplicates`, every value of the current key). The cursor then
    /// stands on the following item.
    public func deleteCurrent(allDuplicates: Bool = false) throws {
        let handle = live
        transaction.writeGeneration += 1
        cachedGeneration = nil
        try check(mdb_cursor_del(handle, allDuplicates ? UInt32(MDB_NODUPDATA) : 0))
    }
}
