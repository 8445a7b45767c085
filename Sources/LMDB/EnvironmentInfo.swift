/// A snapshot of an environment's size figures (`mdb_env_info` and `mdb_env_stat`).
public struct EnvironmentInfo: Sendable, Equatable {
    /// Size of the memory map in bytes.
    public var mapSize: Int
    /// Size of a database page in bytes.
    public var pageSize: Int
    /// Number of the last page used in the data file; pages `0...lastPageNumber` exist in the file.
    public var lastPageNumber: Int
    /// Id of the last committed transaction.
    public var lastTransactionID: Int
    /// Size of the reader table.
    public var maxReaders: Int
    /// Reader slots used now (including stale ones).
    public var readersInUse: Int
}

/// Page and entry counts of one database's B-tree (`mdb_stat`).
public struct DatabaseStatistics: Sendable, Equatable {
    public var pageSize: Int
    public var depth: Int
    public var branchPages: Int
    public var leafPages: Int
    public var overflowPages: Int
    /// Number of data items (for a duplicate-sorted database: of key/value pairs).
    public var entries: Int

    /// Pages this database occupies.
    public var pages: Int { branchPages + leafPages + overflowPages }
}
