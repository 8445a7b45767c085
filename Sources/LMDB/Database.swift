import CLMDB

/// A handle to one database (B-tree) inside an environment. Handles are plain numbers, valid for the
/// lifetime of the environment that opened them, and may be shared between threads.
public struct Database: Sendable, Hashable {
    /// Options of a database, fixed when it is created.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Create the database if it does not exist (`MDB_CREATE`).
        public static let create = Flags(rawValue: UInt32(MDB_CREATE))
        /// Several values per key, kept sorted (`MDB_DUPSORT`). Values are limited to
        /// `Environment.maxKeySize` bytes.
        public static let duplicateSort = Flags(rawValue: UInt32(MDB_DUPSORT))
    }

    /// The name it was opened with; `nil` for the environment's main database.
    public let name: String?
    public let flags: Flags
    let handle: MDB_dbi

    init(name: String?, flags: Flags, handle: MDB_dbi) {
        self.name = name
        self.flags = flags.subtracting(.create)
        self.handle = handle
    }
}

/// Options of a single put.
public struct PutFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fail (the put returns `false`) if the key exists (`MDB_NOOVERWRITE`).
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// In a duplicate-sorted database, fail (return `false`) if this key/value pair exists (`MDB_NODUPDATA`).
    public static let noDuplicateData = PutFlags(rawValue: UInt32(MDB_NODUPDATA))
    /// The key is greater than every key in the database: a fast load (`MDB_APPEND`). LMDB rejects a key
    /// out of order with `MDB_KEYEXIST`, reported as `false`.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    /// As `append`, for the values of a duplicate-sorted key (`MDB_APPENDDUP`).
    public static let appendDuplicate = PutFlags(rawValue: UInt32(MDB_APPENDDUP))
}
