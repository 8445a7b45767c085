import LMDB

/// The named LMDB databases that hold the key space, and the keys of its meta database.
///
/// - `meta`: store-wide values (current and compacted revision, consistent index) and the free-form values
///   of the layer above.
/// - `history`: Revision (16 bytes) -> `HistoryRecord`; every change ever made and not compacted away.
/// - `keyindex` (duplicate-sorted): index key (the user key, or for a long key its prefix and digest; see
///   `IndexKey`) -> `IndexEntry` (revision + tombstone flag), sorted by revision.
///   The key's latest state is its last entry, its state at revision R the greatest entry <= R.
/// - `leases`: lease id (8 bytes big-endian) -> granted TTL (8 bytes big-endian).
/// - `leasekeys` (duplicate-sorted): lease id -> index key, for every key attached to the lease.
struct KeySpaceDatabases: Sendable {
    let meta: Database
    let history: Database
    let keyIndex: Database
    let leases: Database
    let leaseKeys: Database

    init(environment: Environment) throws {
        meta = try environment.openDatabase("meta", flags: .create)
        history = try environment.openDatabase("history", flags: .create)
        keyIndex = try environment.openDatabase("keyindex", flags: [.create, .duplicateSort])
        leases = try environment.openDatabase("leases", flags: .create)
        leaseKeys = try environment.openDatabase("leasekeys", flags: [.create, .duplicateSort])
    }

    /// Every database, in the fixed order the whole-store hash reads them.
    var all: [Database] { [meta, history, keyIndex, leases, leaseKeys] }
}

/// Keys of the `meta` database. The store's own keys start with a zero byte; names given by the layer above
/// are stored as their UTF-8 bytes and may not start with one.
enum MetaKey {
    static let currentRevision = internalKey("current_revision")
    static let compactedRevision = internalKey("compacted_revision")
    static let consistentIndex = internalKey("consistent_index")

    private static func internalKey(_ name: String) -> [UInt8] { [0] + Array(name.utf8) }

    /// Whether a meta record is part of the replicated key-space state that `MVCCStore.hash()` covers.
    static func isHashed(_ key: UnsafeRawBufferPointer) -> Bool {
        key.first == 0 && compareBytes(key, consistentIndex) != 0
    }

    static func external(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8)
        precondition(!bytes.isEmpty && bytes[0] != 0, "meta names must be non-empty and not start with NUL")
        return bytes
    }
}

/// The store-wide values kept in `meta`.
struct StoreMeta: Sendable, Equatable {
    var currentRevision: Int64 = 1
    var compactedRevision: Int64 = 0
    var consistentIndex: UInt64 = 0
}

/// One value of `keyindex`: a revision at which the key changed and whether the change deleted it.
/// 17 bytes: the revision's 16 big-endian bytes, then 0 (put) or 1 (tombstone), so that LMDB's byte order
/// of duplicates is revision order.
struct IndexEntry: Equatable {
    var revision: Revision
    var isTombstone: Bool

    static let encodedCount = 17

    var bytes: [UInt8] {
        var out = revision.bytes
        out.append(isTombstone ? 1 : 0)
        return out
    }

    init(revision: Revision, isTombstone: Bool) {
        self.revision = revision
        self.isTombstone = isTombstone
    }

    init(decoding raw: UnsafeRawBufferPointer) throws {
        guard raw.count == Self.encodedCount else {
            throw MVCCError.storage("key index entry of \(raw.count) bytes")
        }
        revision = Revision(decoding: raw)
        isTombstone = raw[16] != 0
    }
}

/// One value of `history`: what a change did to a key.
///
/// Layout: a flags byte (bit 0: tombstone, bit 1: has lease), the key length as a varint, the key; then for
/// a put the create revision and version as varints, the lease as 8 big-endian bytes when present, and the
/// value as the remaining bytes. The mod revision is the record's own revision and is not repeated.
struct HistoryRecord {
    var isTombstone: Bool
    var key: UnsafeRawBufferPointer
    var createRevision: Int64
    var version: Int64
    var lease: Int64
    var value: UnsafeRawBufferPointer

    private static let tombstoneFlag: UInt8 = 1
    private static let leaseFlag: UInt8 = 2

    static func encodePut(
        key: [UInt8],
        createRevision: Int64,
        version: Int64,
        lease: Int64,
        value: [UInt8]
    )
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(1 + 2 + key.count + 20 + 8 + value.count)
        out.append(lease != 0 ? leaseFlag : 0)
        out.appendVarint(UInt64(key.count))
        out.append(contentsOf: key)
        out.appendVarint(UInt64(bitPattern: createRevision))
        out.appendVarint(UInt64(bitPattern: version))
        if lease != 0 { out.appendBigEndian(UInt64(bitPattern: lease)) }
        out.append(contentsOf: value)
        return out
    }

    static func encodeTombstone(key: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tombstoneFlag]
        out.appendVarint(UInt64(key.count))
        out.append(contentsOf: key)
        return out
    }

    /// Decodes a record; the buffers point into `raw`.
    init(decoding raw: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(raw)
        let flags = try reader.byte()
        let keyCount = try reader.varint()
        guard keyCount <= UInt64(raw.count) else { throw MVCCError.storage("history record key too long") }
        key = try reader.slice(Int(keyCount))
        isTombstone = flags & Self.tombstoneFlag != 0
        if isTombstone {
            createRevision = 0
            version = 0
            lease = 0
            value = UnsafeRawBufferPointer(rebasing: raw[raw.count...])
            return
        }
        createRevision = Int64(bitPattern: try reader.varint())
        version = Int64(bitPattern: try reader.varint())
        lease = flags & Self.leaseFlag != 0 ? Int64(bitPattern: try reader.bigEndian()) : 0
        value = reader.rest()
    }

    /// Only the key of a record, without decoding the rest.
    static func key(of raw: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        var reader = ByteReader(raw)
        _ = try reader.byte()
        let keyCount = try reader.varint()
        guard keyCount <= UInt64(raw.count) else { throw MVCCError.storage("history record key too long") }
        return try reader.slice(Int(keyCount))
    }

    func keyValue(modRevision: Int64, includeValue: Bool) -> KeyValue {
        KeyValue(
            key: [UInt8](key),
            createRevision: createRevision,
            modRevision: modRevision,
            version: version,
            value: includeValue ? [UInt8](value) : [],
            lease: lease
        )
    }
}

extension Int64 {
    /// A lease id as a database key: 8 big-endian bytes of its bit pattern.
    var leaseKey: [UInt8] { .bigEndian(UInt64(bitPattern: self)) }
}
