/// How an `Environment` is opened. The defaults are durable: every committed write transaction is on disk
/// (data and meta page fsynced) before `commit` returns.
public struct EnvironmentConfiguration: Sendable, Equatable {
    /// What a commit waits for. Only `.full` survives a power loss without losing committed transactions;
    /// all three survive the process being killed, because the data lives in the OS page cache.
    public enum Durability: Sendable, Equatable {
        /// fsync data and meta pages on every commit.
        case full
        /// `MDB_NOMETASYNC`: skip the meta page fsync; a power loss can undo the last transaction, never
        /// corrupt the database.
        case noMetaSync
        /// `MDB_NOSYNC`: no fsync at commit; a power loss can lose any transaction since the last
        /// `Environment.sync(force:)`, and with some file systems corrupt the database.
        case noSync
    }

    /// Size of the memory map, which bounds the size of the data file. Rounded by LMDB to the page size.
    public var mapSize: Int
    /// Maximum number of named databases.
    public var maxDatabases: Int
    /// Maximum number of read transactions open at once, across every process using the environment.
    public var maxReaders: Int
    public var durability: Durability
    /// Read-ahead on the data file; `false` sets `MDB_NORDAHEAD`, better when the data is larger than RAM.
    public var readAhead: Bool
    /// `true`: `path` names a directory holding `data.mdb` and `lock.mdb` (created if missing).
    /// `false` (`MDB_NOSUBDIR`): `path` is the data file itself and the lock file is `path-lock`.
    public var usesSubdirectory: Bool
    /// Open for reading only (`MDB_RDONLY`).
    public var readOnly: Bool
    /// Permissions of newly created files.
    public var fileMode: UInt32

    public init(
        mapSize: Int = 1 << 30,
        maxDatabases: Int = 16,
        maxReaders: Int = 126,
        durability: Durability = .full,
        readAhead: Bool = true,
        usesSubdirectory: Bool = true,
        readOnly: Bool = false,
        fileMode: UInt32 = 0o644
    ) {
        self.mapSize = mapSize
        self.maxDatabases = maxDatabases
        self.maxReaders = maxReaders
        self.durability = durability
        self.readAhead = readAhead
        self.usesSubdirectory = usesSubdirectory
        self.readOnly = readOnly
        self.fileMode = fileMode
    }
}
