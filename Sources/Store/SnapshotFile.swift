import Crypto
import Foundation
import LMDB
import MVCC

/// A snapshot file as `Maintenance.Snapshot` streams it and `keelctl snapshot save` or `etcdctl snapshot
/// save` writes it: the bytes of one LMDB data file holding a member's whole environment, then the 32-byte
/// SHA-256 of those bytes. As etcd does, a trailer is recognised by the file's size (`size % 512 == 32`):
/// LMDB data files are whole pages, so a file without one is a multiple of 512 bytes.
///
/// Guarantees: `extract` never hands out data whose trailer did not match (unless told to skip the check),
/// nor data that is cut short of what its LMDB header says it holds, nor a file that is not LMDB; the
/// source file is only read.
public struct SnapshotFile: Sendable {
    /// How `extract` treats the SHA-256 trailer.
    public enum DigestPolicy: Sendable {
        /// The file must end with a trailer that matches (restore's default).
        case require
        /// A trailer, when there is one, must match; a file without one is taken as raw data (status).
        case verifyIfPresent
        /// The trailer is not checked, and a file without one is raw data (`--skip-hash-check`).
        case ignore
    }

    /// What the integrity check found.
    public enum DigestCheck: String, Sendable, Equatable {
        /// The trailer is the SHA-256 of the data.
        case ok
        /// The file has a trailer that was not checked.
        case skipped
        /// The file has no trailer: a raw data file.
        case absent
    }

    public static let digestSize = 32
    /// Version of the snapshot layout: LMDB data file (format 1) of the key-space databases, then SHA-256.
    public static let formatVersion = "1"
    private static let chunkSize = 1 << 20

    public let path: String
    /// Size of the whole file, trailer included.
    public let size: Int64

    /// Looks the file up. Throws `.unreadable` if it does not exist or is not a regular file.
    public init(path: String) throws(SnapshotError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(path: path, reason: Self.errnoText()) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        self.path = path
        self.size = Int64(info.st_size)
    }

    /// Whether the file ends with a SHA-256 trailer, by etcd's rule.
    public var hasDigest: Bool { size > Int64(Self.digestSize) && size % 512 == Int64(Self.digestSize) }

    /// Size of the LMDB data, without the trailer.
    public var dataSize: Int64 { hasDigest ? size - Int64(Self.digestSize) : size }

    /// Copies the LMDB data (the file without its trailer) to `destination`, a new file, and syncs it;
    /// checks the trailer on the way as `policy` says, then the LMDB header of what was copied.
    /// On any error `destination` is removed.
    public func extract(to destination: String, policy: DigestPolicy) throws(SnapshotError) -> DigestCheck {
        do throws(SnapshotError) {
            if !hasDigest && policy == .require {
                // Say first what a file that is not LMDB at all is; only an LMDB file lacks just its trailer.
                try checkHeader(of: path, available: size)
                throw .missingDigest(path: path, size: size)
            }
            let digest = try copyData(to: destination)
            // A file cut short is reported as truncated whatever its last 32 bytes happen to be: a cut can
            // leave a size that looks like one with a trailer.
            var headerError: SnapshotError?
            do throws(SnapshotError) {
                try checkHeader(of: destination, available: dataSize)
            } catch {
                headerError = error
            }
            let check: DigestCheck
            if let (expected, actual) = digest {
                if expected == actual {
                    check = .ok
                } else if policy == .ignore {
                    check = .skipped
                } else if case .truncated = headerError {
                    throw headerError!
                } else {
                    throw .digestMismatch(path: path, expected: expected, actual: actual)
                }
            } else {
                check = .absent
            }
            if let headerError { throw headerError }
            return check
        } catch {
            unlink(destination)
            throw error
        }
    }

    /// Reads the header of the data at `file` and checks that `available` bytes hold all it needs.
    private func checkHeader(of file: String, available: Int64) throws(SnapshotError) {
        let head = try Self.readPrefix(of: file, count: 2 * 65536 + 4096, reportingAs: path)
        let header: LMDBDataFileHeader
        do {
            header = try LMDBDataFileHeader(parsing: head)
        } catch {
            throw .notLMDB(path: path, reason: error.reason)
        }
        guard available >= header.requiredSize else {
            throw .truncated(path: path, available: available, needed: header.requiredSize)
        }
    }

    /// Copies `dataSize` bytes to `destination` (created exclusively) and syncs it. Returns the trailer and
    /// the SHA-256 of the data when the file has a trailer.
    private func copyData(to destination: String) throws(SnapshotError) -> (expected: [UInt8], actual: [UInt8])? {
        let source = open(path, O_RDONLY)
        guard source >= 0 else { throw .unreadable(path: path, reason: Self.errnoText()) }
        defer { close(source) }
        let target = open(destination, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard target >= 0 else { throw .storage("cannot create \(destination): \(Self.errnoText())") }
        defer { close(target) }
        var hash = SHA256()
        var remaining = dataSize
        var buffer = [UInt8](repeating: 0, count: Self.chunkSize)
        while remaining > 0 {
            let wanted = Int(min(Int64(Self.chunkSize), remaining))
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, wanted) }
            guard count > 0 else {
                throw .unreadable(path: path, reason: count == 0 ? "file shrank while being read" : Self.errnoText())
            }
            buffer.withUnsafeBytes { hash.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            try Self.writeAll(target, buffer, count: count, destination: destination)
            remaining -= Int64(count)
        }
        guard fsync(target) == 0 else { throw .storage("cannot sync \(destination): \(Self.errnoText())") }
        guard hasDigest else { return nil }
        var trailer = [UInt8](repeating: 0, count: Self.digestSize)
        let count = trailer.withUnsafeMutableBytes { read(source, $0.baseAddress, Self.digestSize) }
        guard count == Self.digestSize else { throw .unreadable(path: path, reason: "cannot read the SHA-256 trailer") }
        return (trailer, Array(hash.finalize()))
    }

    private static func writeAll(_ fd: Int32, _ buffer: [UInt8], count: Int, destination: String) throws(SnapshotError) {
        var written = 0
        while written < count {
            let result = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + written, count - written) }
            guard result > 0 else { throw .storage("cannot write \(destination): \(errnoText())") }
            written += result
        }
    }

    private static func readPrefix(of file: String, count: Int, reportingAs path: String) throws(SnapshotError) -> [UInt8] {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(path: path, reason: errnoText()) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if result < 0 { throw .unreadable(path: path, reason: errnoText()) }
            if result == 0 { break }
            filled += result
        }
        return Array(bytes[..<filled])
    }

    static func errnoText() -> String { String(cString: strerror(errno)).lowercased() }
}
