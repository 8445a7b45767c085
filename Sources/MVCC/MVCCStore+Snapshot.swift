import LMDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension MVCCStore {
    /// Writes a consistent, compacted copy of the whole environment to the file `path` (created or
    /// truncated), as one LMDB data file that `Environment(path:configuration:)` with
    /// `usesSubdirectory: false` (or as `data.mdb` in a directory) opens. Writers are not blocked meanwhile.
    ///
    /// Returns the store revision the copy holds, read back from the copy itself so that it is exact even
    /// when writes commit while copying.
    public func copy(toFile path: String) throws -> Int64 {
        do {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw MVCCError.storage("snapshot: cannot create \(path): errno \(errno)") }
            do {
                try environment.copy(toFileDescriptor: fd, compact: true)
                guard fsync(fd) == 0 else { throw MVCCError.storage("snapshot: cannot sync \(path): errno \(errno)") }
            } catch {
                close(fd)
                throw error
            }
            close(fd)
            return try Self.revision(ofCopy: path)
        } catch let error as LMDBError {
            throw MVCCError.storage("snapshot: \(error)")
        }
    }

    /// Opens a copied data file read-only and reads its current revision.
    static func revision(ofCopy path: String) throws -> Int64 {
        let copy = try Environment(
            path: path,
            configuration: EnvironmentConfiguration(maxDatabases: 16, usesSubdirectory: false, readOnly: true)
        )
        defer {
            copy.close()
            // Opening it made a lock file beside the copy; it is not part of the snapshot.
            unlink(path + "-lock")
        }
        let meta = try copy.openDatabase("meta")
        let revision = try copy.read { txn in try txn.get(meta, MetaKey.currentRevision) }
        return revision.flatMap(decodeBigEndian).map { Int64(bitPattern: $0) } ?? 1
    }
}
