import CLMDB

/// A read-only snapshot of the environment. It sees exactly the data committed when it began, however long
/// it lives; it ends with `abort()` or when released.
public final class ReadTransaction: Transaction {
    deinit {
        if let handle = ended() { mdb_txn_abort(handle) }
    }

    /// Ends the transaction. Calling it again is harmless.
    public func abort() {
        if let handle = ended() { mdb_txn_abort(handle) }
    }
}
