/// Why a snapshot file could not be inspected or restored. Every case names the file or directory and says
/// what is wrong with it in words an operator can act on; `description` is the sentence keelctl prints.
public enum SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, read or copied.
    case unreadable(path: String, reason: String)
    /// The file's last 32 bytes are not the SHA-256 of the bytes before them: it was changed after it was saved.
    case digestMismatch(path: String, expected: [UInt8], actual: [UInt8])
    /// The file has no SHA-256 trailer (its size is not a whole number of 512-byte sectors plus 32), so its
    /// integrity cannot be checked: it is truncated, or it is a raw copy of a data directory's `data.mdb`.
    case missingDigest(path: String, size: Int64)
    /// The file does not begin with an LMDB data file header.
    case notLMDB(path: String, reason: String)
    /// The LMDB header says the data runs to `needed` bytes, but the file holds only `available`.
    case truncated(path: String, available: Int64, needed: Int64)
    /// The file is an LMDB data file, but not of a Keel member: it lacks the key space's databases.
    case notKeyspace(path: String, missing: String)
    /// The data directory to restore into already exists (even empty: restore never writes into one).
    case dataDirectoryExists(path: String)
    /// The restore options contradict each other (the text is the sentence etcd prints where it has one).
    case invalidOptions(String)
    /// Writing the restored data directory failed; nothing was left behind.
    case storage(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read snapshot \(path): \(reason)"
        case .digestMismatch(let path, let expected, let actual):
            return "snapshot \(path) failed its hash check: expected sha256 \(Self.hex(expected)) (its trailer), "
                + "got \(Self.hex(actual)) (its data); the file was changed or damaged after it was saved"
        case .missingDigest(let path, let size):
            return "snapshot \(path) has no SHA-256 trailer (\(size) bytes is not a whole number of 512-byte "
                + "sectors plus 32): it is truncated, or it is a raw copy of a data directory's data.mdb, which "
                + "only --skip-hash-check accepts (snapshot missing hash but --skip-hash-check=false)"
        case .notLMDB(let path, let reason):
            return "\(path) is not a snapshot: \(reason)"
        case .truncated(let path, let available, let needed):
            return "snapshot \(path) is truncated: its data is \(available) bytes but its LMDB header needs \(needed)"
        case .notKeyspace(let path, let missing):
            return "\(path) is an LMDB file but not a Keel snapshot: it has no \(missing) database"
        case .dataDirectoryExists(let path):
            return "data-dir \"\(path)\" exists"
        case .invalidOptions(let text):
            return text
        case .storage(let text):
            return "cannot write the restored data directory: \(text)"
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
