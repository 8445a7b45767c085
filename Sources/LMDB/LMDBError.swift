import CLMDB

/// A failure reported by LMDB, classified so that callers can react to the conditions that matter
/// (a full map, a full reader table, a key of the wrong size) without parsing messages.
///
/// "Not found" is never an error here: lookups return `nil` or `false` instead.
public enum LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The environment's map size is reached (`MDB_MAP_FULL`); grow it with `Environment.setMapSize(_:)`.
    case mapFull
    /// A key, a duplicate value or a database name has an unsupported size (`MDB_BAD_VALSIZE`): empty, or
    /// longer than `Environment.maxKeySize`.
    case badValueSize
    /// Every reader slot is taken (`MDB_READERS_FULL`).
    case readersFull
    /// The write transaction has too many dirty pages (`MDB_TXN_FULL`).
    case transactionFull
    /// The environment has no room for another named database (`MDB_DBS_FULL`).
    case databasesFull
    /// The data file is damaged or LMDB hit a fatal error (`MDB_CORRUPTED`, `MDB_PAGE_NOTFOUND`, `MDB_PANIC`).
    case corrupted(code: Int32, message: String)
    /// Another process grew the map beyond this one's size (`MDB_MAP_RESIZED`).
    case mapResized
    /// Any other LMDB or system error, with `mdb_strerror`'s text.
    case other(code: Int32, message: String)

    /// Classifies an LMDB return code (which must not be `MDB_SUCCESS`).
    init(code: Int32) {
        switch code {
        case MDB_MAP_FULL: self = .mapFull
        case MDB_BAD_VALSIZE: self = .badValueSize
        case MDB_READERS_FULL: self = .readersFull
        case MDB_TXN_FULL: self = .transactionFull
        case MDB_DBS_FULL: self = .databasesFull
        case MDB_MAP_RESIZED: self = .mapResized
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_PANIC:
            self = .corrupted(code: code, message: Self.message(for: code))
        default: self = .other(code: code, message: Self.message(for: code))
        }
    }

    static func message(for code: Int32) -> String {
        guard let text = mdb_strerror(code) else { return "LMDB error \(code)" }
        return String(cString: text)
    }

    public var description: String {
        switch self {
        case .mapFull: return "LMDB map is full (MDB_MAP_FULL)"
        case .badValueSize: return "unsupported key or value size (MDB_BAD_VALSIZE)"
        case .readersFull: return "LMDB reader table is full (MDB_READERS_FULL)"
        case .transactionFull: return "LMDB write transaction has too many dirty pages (MDB_TXN_FULL)"
        case .databasesFull: return "LMDB has no room for another named database (MDB_DBS_FULL)"
        case .corrupted(let code, let message): return "LMDB data is corrupted (\(code)): \(message)"
        case .mapResized: return "LMDB map was resized by another process (MDB_MAP_RESIZED)"
        case .other(let code, let message): return "LMDB error \(code): \(message)"
        }
    }
}

/// Throws the classified error for a failing return code.
@inline(__always)
func check(_ code: Int32) throws(LMDBError) {
    if code != 0 { throw LMDBError(code: code) }
}
