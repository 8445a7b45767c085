import ArgumentParser
import Crypto
import EtcdAPI
import Foundation

/// `snapshot save|status|restore`. `save FILE` streams one member's database into FILE. The stream ends with the
/// SHA-256 of what came before it; the file (digest included, as etcd's own snapshot files have it) is renamed
/// into place only when the digest matches and the data is on disk, and the rename itself is made durable.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Manages etcd node snapshots.",
        subcommands: [Save.self, SnapshotStatusCommand.self, SnapshotRestoreCommand.self])

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "save", abstract: "Stores an etcd node backend snapshot to a given file.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "file") var arguments: [String] = []

        func run() async throws {
            guard arguments.count == 1 else { throw CtlError.badArgs("snapshot save expects one argument") }
            let context = try global.context()
            let endpoints = context.connection.endpoints
            guard endpoints.count == 1 else {
                throw CtlError.interrupted("snapshot must be requested to one selected node, not multiple "
                    + "[\(endpoints.map(\.text).joined(separator: " "))]")
            }
            let path = arguments[0]
            let partial = path + ".part"
            let descriptor = open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            guard descriptor >= 0 else {
                let reason = String(cString: strerror(errno)).lowercased()
                throw CtlError.interrupted("could not open \(partial) (open \(partial): \(reason))")
            }
            let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            do {
                try await receive(into: file, context.connection)
                try file.synchronize()
                try file.close()
                guard rename(partial, path) == 0 else {
                    throw CtlError.interrupted("could not rename \(partial) (\(String(cString: strerror(errno))))")
                }
                try Self.syncDirectory(containing: path)
            } catch {
                unlink(partial)
                throw error as? CtlError ?? CtlError.interrupted(Connection.describe(error))
            }
            Output.stdout("Snapshot saved at \(path)")
        }

        private func receive(into file: FileHandle, _ connection: Connection) async throws {
            let options = connection.streamOptions
            let digestMatches = try await connection.withClient { client in
                try await Etcdserverpb_Maintenance.Client(wrapping: client).snapshot(.init(), options: options) {
                    var hash = SHA256()
                    var last = Data()
                    var progress = TransferProgress.onTerminal()
                    for try await message in $0.messages {
                        // The digest is the last blob, so each blob is hashed only once a later one arrives.
                        hash.update(data: last)
                        last = message.blob
                        try file.write(contentsOf: message.blob)
                        progress?.received(message.blob.count, remaining: message.remainingBytes)
                    }
                    progress?.finish()
                    return last.count == 32 && Array(hash.finalize()) == [UInt8](last)
                }
            }
            guard digestMatches else { throw CtlError.interrupted("snapshot file integrity check failed") }
        }

        /// A rename is durable only once the directory holding the new name is synced.
        private static func syncDirectory(containing path: String) throws {
            let directory = (path as NSString).deletingLastPathComponent
            let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
            guard descriptor >= 0, fsync(descriptor) == 0 else {
                let reason = String(cString: strerror(errno)).lowercased()
                if descriptor >= 0 { close(descriptor) }
                throw CtlError.interrupted("could not sync the directory of \(path) (\(reason))")
            }
            close(descriptor)
        }
    }
}
