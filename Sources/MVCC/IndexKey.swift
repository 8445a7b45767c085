/// The form of a user key in `keyindex` (as its LMDB key) and in `leasekeys` (as a duplicate value), where
/// LMDB allows at most 511 bytes.
///
/// A key of at most `maxDirectCount` bytes is stored as itself. A longer key is stored as its first
/// `maxDirectCount` bytes followed by the SHA-256 of the whole key (`longCount` bytes in all); the whole key is
/// in every history record, so readers recover it from there.
///
/// Byte order of index keys is the order of the user keys, except among long keys sharing their first
/// `maxDirectCount` bytes (a "group"), which are ordered by digest:
/// - two keys differing within the first `maxDirectCount` bytes compare there in both forms;
/// - a direct key that is a prefix of a long key's first bytes is a prefix of its index form too, so it sorts
///   first, as it does as a user key (this includes the direct key equal to those first bytes);
/// - no direct key lies strictly between two members of a group, since it would have to start with the
///   group's `maxDirectCount` bytes while being at most that long.
/// So each group is contiguous in the index, and readers walking it in key order sort each group by user key.
enum IndexKey {
    /// The longest key stored as itself.
    static let maxDirectCount = 479
    static let digestCount = 32
    /// The size of every long key's index form (LMDB's limit).
    static let longCount = maxDirectCount + digestCount

    static func of(_ key: [UInt8]) -> [UInt8] {
        guard key.count > maxDirectCount else { return key }
        return Array(key[..<maxDirectCount]) + SHA256.digest(key)
    }

    /// Whether an index key is the form of a long key.
    static func isLong(_ indexKey: UnsafeRawBufferPointer) -> Bool {
        indexKey.count > maxDirectCount
    }

    /// The group prefix of a long key's index form.
    static func groupPrefix(_ indexKey: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: indexKey[..<maxDirectCount])
    }

    /// Where a walk of the index in key order starting at `key` must begin: keys shorter than the direct limit
    /// are their own index key; a longer one may be preceded, within its group, by keys greater than it, so
    /// the walk starts at the group.
    static func seekStart(_ key: [UInt8]) -> [UInt8] {
        Array(key.prefix(maxDirectCount))
    }
}
