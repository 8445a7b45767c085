import CLMDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open LMDB environment: one memory-mapped data file holding any number of named databases.
///
/// Guarantees: a committed write transaction is atomic and, with `.full` durability, durable; read
/// transactions see a consistent snapshot and never block or are blocked by the writer. Read transactions
/// are not tied to a thread (`MDB_NOTLS`). Only one write transaction runs at a time; a second one waits.
///
/// An environment must be opened at most once per process at a time (LMDB's rule); `close()` it, or drop the
/// last reference, before opening the same path again.
public final class Environment: @unchecked Sendable {  // reason: LMDB envs are thread-safe; the flag is atomic
    let handle: OpaquePointer
    /// The path the environment was opened at.
    public let path: String
    public let configuration: EnvironmentConfiguration
    private let closed = Atomic<Bool>(false)
    /// Held by every write transaction of this process from begin to end, so that the sync flags one commit
    /// weakens never apply to another (see `WriteTransaction.commit(durability:)`).
    let writers = WriterLock()

    /// Opens (creating if needed) the environment at `path`.
    public init(path: String, configuration: EnvironmentConfiguration = EnvironmentConfiguration()) throws {
        var env: OpaquePointer?
        try check(mdb_env_create(&env))
        guard let env else { throw LMDBError.other(code: -1, message: "mdb_env_create returned no environment") }
        do {
            try check(mdb_env_set_mapsize(env, configuration.mapSize))
            try check(mdb_env_set_maxdbs(env, MDB_dbi(configuration.maxDatabases)))
            try check(mdb_env_set_maxreaders(env, UInt32(configuration.maxReaders)))
            var flags = UInt32(MDB_NOTLS)
            switch configuration.durability {
            case .full: break
            case .noMetaSync: flags |= UInt32(MDB_NOMETASYNC)
            case .noSync: flags |= UInt32(MDB_NOSYNC)
            }
            if !configuration.readAhead { flags |= UInt32(MDB_NORDAHEAD) }
            if !configuration.usesSubdirectory { flags |= UInt32(MDB_NOSUBDIR) }
            if configuration.readOnly { flags |= UInt32(MDB_RDONLY) }
            if configuration.usesSubdirectory && !configuration.readOnly {
                if mkdir(path, 0o755) != 0 && errno != EEXIST {
                    throw LMDBError(code: errno)
                }
            }
            try check(mdb_env_open(env, path, flags, mdb_mode_t(configuration.fileMode)))
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.configuration = configuration
    }

    deinit {
        close()
    }

    /// Closes the environment. Every transaction must have ended; using the environment afterwards traps.
    /// Closing twice is harmless.
    public func close() {
        if !closed.exchange(true, ordering: .acquiringAndReleasing) {
            mdb_env_close(handle)
        }
    }

    var live: OpaquePointer {
        precondition(!closed.load(ordering: .acquiring), "LMDB environment used after close()")
        return handle
    }

    // MARK: Databases

    /// Opens the named database (or the main one for `nil`), creating it with `.create`. Databases are opened
    /// in a transaction of their own; as LMDB requires, do not open databases from two threads at once.
    /// Throws `LMDBError.other` with `MDB_NOTFOUND` if it does not exist and `.create` was not given.
    public func openDatabase(_ name: String?, flags: Database.Flags = []) throws -> Database {
        // Its transaction commits like a writer's, so it keeps out of a weakened commit's window.
        writers.lock()
        defer { writers.unlock() }
        return try openDatabaseInTransaction(name, flags: flags)
    }

    private func openDatabaseInTransaction(_ name: String?, flags: Database.Flags) throws -> Database {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(live, nil, configuration.readOnly ? UInt32(MDB_RDONLY) : 0, &txn))
        var dbi: MDB_dbi = 0
        let rc: Int32
        if let name {
            rc = mdb_dbi_open(txn, name, flags.rawValue, &dbi)
        } else {
            rc = mdb_dbi_open(txn, nil, flags.rawValue, &dbi)
        }
        if rc != 0 {
            mdb_txn_abort(txn)
            throw LMDBError(code: rc)
        }
        try check(mdb_txn_commit(txn))
        return Database(name: name, flags: flags, handle: dbi)
    }

    // MARK: Transactions

    /// Runs `body` in a read transaction, which ends when `body` returns. Values and cursors obtained in it
    /// must not escape it.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        let txn = try beginRead()
        defer { txn.abort() }
        return try body(txn)
    }

    /// Starts a read transaction that lives until `abort()` or until it is released. Keep it short: an open
    /// reader pins the pages of its snapshot, so the file grows while it lives.
    public func beginRead() throws -> ReadTransaction {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(live, nil, UInt32(MDB_RDONLY), &txn))
        return ReadTransaction(environment: self, handle: txn!)
    }

    /// Runs `body` in a write transaction, committed when `body` returns and aborted when it throws.
    /// Write transactions are serialized: this call waits while another one is running.
    ///
    /// `durability` weakens the environment's for this commit alone; it cannot strengthen it. The next fully
    /// synced commit makes a weakened one durable too, since both live in the same file.
    @discardableResult
    public func write<R>(
        durability: EnvironmentConfiguration.Durability = .full, _ body: (WriteTransaction) throws -> R
    ) throws -> R {
        let transaction = try beginWrite()
        let result: R
        do {
            result = try body(transaction)
        } catch {
            transaction.abort()
            throw error
        }
        try transaction.commit(durability: durability)
        return result
    }

    /// Begins a write transaction that stays open, across as many calls as needed, until its
    /// `commit(durability:)` or `abort()`. Waits while another write transaction of this process is open.
    ///
    /// The transaction must end on the thread that began it (LMDB's writer lock belongs to that thread), and
    /// should end soon: every other writer of the process waits for it.
    public func beginWrite() throws -> WriteTransaction {
        writers.lock()
        var txn: OpaquePointer?
        let rc = mdb_txn_begin(live, nil, 0, &txn)
        guard rc == 0, let txn else {
            writers.unlock()
            throw LMDBError(code: rc)
        }
        return WriteTransaction(environment: self, handle: txn, parent: nil)
    }

    /// The sync flags to set for one commit so that it is made with `durability` rather than the
    /// environment's own; 0 when the environment's is not stronger.
    func weakening(to durability: EnvironmentConfiguration.Durability) -> UInt32 {
        // LMDB 0.9 reads its sync flags from the environment at commit, not from the transaction.
        switch (configuration.durability, durability) {
        case (.full, .noMetaSync): UInt32(MDB_NOMETASYNC)
        case (.full, .noSync), (.noMetaSync, .noSync): UInt32(MDB_NOSYNC)
        default: 0
        }
    }

    /// The environment's flags as LMDB holds them now (`mdb_env_get_flags`).
    var currentFlags: UInt32 {
        var flags: UInt32 = 0
        mdb_env_get_flags(live, &flags)
        return flags
    }

    // MARK: Maintenance

    /// Flushes written data to disk. Needed only with `.noSync` / `.noMetaSync` durability, or with
    /// `force: true` to flush even then.
    public func sync(force: Bool = true) throws {
        try check(mdb_env_sync(live, force ? 1 : 0))
    }

    /// Writes a consistent copy of the environment into the directory `path` (which must exist and must not
    /// hold a data file). With `compact`, free pages are omitted and pages renumbered: the copy is as small
    /// as the data. Runs in a read transaction; writers are not blocked.
    public func copy(toDirectory path: String, compact: Bool) throws {
        try check(mdb_env_copy2(live, path, compact ? UInt32(MDB_CP_COMPACT) : 0))
    }

    /// Writes a consistent copy of the data file to an open file descriptor (a file or a pipe).
    public func copy(toFileDescriptor fd: Int32, compact: Bool) throws {
        try check(mdb_env_copyfd2(live, fd, compact ? UInt32(MDB_CP_COMPACT) : 0))
    }

    /// Changes the map size. Only when no transaction is active in this process.
    public func setMapSize(_ bytes: Int) throws {
        try check(mdb_env_set_mapsize(live, bytes))
    }

    /// Frees the reader slots of processes that died with a read transaction open; returns how many.
    @discardableResult
    public func clearStaleReaders() throws -> Int {
        var dead: Int32 = 0
        try check(mdb_reader_check(live, &dead))
        return Int(dead)
    }

    /// Longest key (and longest value in a duplicate-sorted database) LMDB accepts.
    public var maxKeySize: Int { Int(mdb_env_get_maxkeysize(live)) }

    /// Sizes of the map and file.
    public func info() throws -> EnvironmentInfo {
        var info = MDB_envinfo()
        try check(mdb_env_info(live, &info))
        var stat = MDB_stat()
        try check(mdb_env_stat(live, &stat))
        return EnvironmentInfo(
            mapSize: info.me_mapsize,
            pageSize: Int(stat.ms_psize),
            lastPageNumber: info.me_last_pgno,
            lastTransactionID: info.me_last_txnid,
            maxReaders: Int(info.me_maxreaders),
            readersInUse: Int(info.me_numreaders)
        )
    }

    /// Statistics of the main database (whose entries are the named databases).
    public func statistics() throws -> DatabaseStatistics {
        var stat = MDB_stat()
        try check(mdb_env_stat(live, &stat))
        return DatabaseStatistics(stat)
    }

    /// Path of the data file.
    public var dataFilePath: String {
        configuration.usesSubdirectory ? path + "/data.mdb" : path
    }

    /// Size in bytes of the data file on disk.
    public func dataFileSize() throws -> Int {
        var st = stat()
        if stat(dataFilePath, &st) != 0 { throw LMDBError(code: errno) }
        return Int(st.st_size)
    }

    /// Number of pages on LMDB's free list (reusable by later writes) as of the last commit.
    public func freePageCount() throws -> Int {
        try read { txn in
            var cursor: OpaquePointer?
            // Database 0 is LMDB's free list: one record per freeing transaction, each an array of page
            // numbers whose first word is its length.
            try check(mdb_cursor_open(txn.live, 0, &cursor))
            defer { mdb_cursor_close(cursor) }
            var key = MDB_val()
            var value = MDB_val()
            var pages = 0
            while true {
                let rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
                if rc == MDB_NOTFOUND { break }
                try check(rc)
                if let data = value.mv_data, value.mv_size >= MemoryLayout<Int>.size {
                    pages += data.loadUnaligned(as: Int.self)
                }
            }
            return pages
        }
    }

    /// Pages of the data file holding live data: the used part of the file minus the free list.
    public func pagesInUse() throws -> Int {
        let info = try info()
        return max(0, info.lastPageNumber + 1 - (try freePageCount()))
    }
}

extension DatabaseStatistics {
    init(_ stat: MDB_stat) {
        self.init(
            pageSize: Int(stat.ms_psize),
            depth: Int(stat.ms_depth),
            branchPages: stat.ms_branch_pages,
            leafPages: stat.ms_leaf_pages,
            overflowPages: stat.ms_overflow_pages,
            entries: stat.ms_entries
        )
    }
}
