import CLMDB

/// What read and write transactions share: lookups, cursors and statistics over a consistent snapshot.
///
/// Not Sendable: a transaction, its cursors and the buffers they lend are used by one task at a time.
/// Byte buffers passed to closures point into the memory map and are valid only inside the closure.
public class Transaction {
    let environment: Environment
    private var handle: OpaquePointer?
    /// Set while a nested transaction runs; LMDB forbids using the parent meanwhile.
    var hasActiveChild = false
    /// Counts writes through this transaction, so a cursor knows when its cached position may be stale.
    var writeGeneration = 0

    init(environment: Environment, handle: OpaquePointer) {
        self.environment = environment
        self.handle = handle
    }

    var live: OpaquePointer {
        guard let handle else { preconditionFailure("LMDB transaction used after it ended") }
        precondition(!hasActiveChild, "LMDB transaction used while a nested transaction is active")
        return handle
    }

    var isActive: Bool { handle != nil }

    /// Forgets the handle once LMDB has freed it (commit or abort).
    func ended() -> OpaquePointer? {
        defer { handle = nil }
        return handle
    }

    /// A copy of the value stored under `key`, or `nil`. (In a duplicate-sorted database: the first value.)
    public func get(_ database: Database, _ key: [UInt8]) throws -> [UInt8]? {
        try withValue(database, key) { buffer in buffer.map { [UInt8]($0) } }
    }

    /// Lends the value stored under `key` (or `nil`) to `body` without copying it.
    public func withValue<R>(
        _ database: Database,
        _ key: [UInt8],
        _ body: (UnsafeRawBufferPointer?) throws -> R
    )
        throws -> R
    {
        var value = MDB_val()
        let rc = key.withMDBVal { keyVal in mdb_get(live, database.handle, &keyVal, &value) }
        if rc == MDB_NOTFOUND { return try body(nil) }
        try check(rc)
        return try body(value.buffer)
    }

    /// Whether `key` is present.
    public func contains(_ database: Database, _ key: [UInt8]) throws -> Bool {
        try withValue(database, key) { $0 != nil }
    }

    /// Runs `body` with a cursor over `database`, closed when `body` returns.
    public func withCursor<R>(_ database: Database, _ body: (Cursor) throws -> R) throws -> R {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(live, database.handle, &cursor))
        let wrapper = Cursor(transaction: self, handle: cursor!)
        defer { wrapper.close() }
        return try body(wrapper)
    }

    /// Page and entry counts of `database` as this transaction sees it.
    public func statistics(_ database: Database) throws -> DatabaseStatistics {
        var stat = MDB_stat()
        try check(mdb_stat(live, database.handle, &stat))
        return DatabaseStatistics(stat)
    }
}

extension MDB_val {
    /// The bytes this value points at.
    var buffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mv_data, count: mv_size)
    }
}

extension Array where Element == UInt8 {
    /// Lends the array to LMDB as an `MDB_val`; LMDB only reads input keys and values.
    @inline(__always)
    func withMDBVal<R>(_ body: (inout MDB_val) throws -> R) rethrows -> R {
        try withUnsafeBytes { bytes in
            var val = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return try body(&val)
        }
    }
}
