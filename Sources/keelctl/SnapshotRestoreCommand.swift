import ArgumentParser
import Foundation
import Store

/// `snapshot restore FILE`: builds the data directory of one member of a new cluster from a snapshot file, with
/// etcdctl 3.4's flags and defaults and etcdutl 3.5's `--bump-revision`/`--mark-compacted`. The work and every
/// check are `SnapshotRestore`'s; this command reads the flags and reports. Progress goes to stderr as log lines,
/// as etcdctl's does; a refusal is one `Error:` line and exit status 1 (128 for misused arguments).
struct SnapshotRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restores an etcd member snapshot to an etcd directory.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "file") var arguments: [String] = []
    @Option(help: "Path to the data directory (default: <name>.etcd).") var dataDir: String?
    @Option(help: "Initial cluster configuration for restore bootstrap (default: <name>=<each advertised peer URL>).")
    var initialCluster: String?
    @Option(help: "Initial cluster token for the etcd cluster during restore bootstrap.")
    var initialClusterToken = "etcd-cluster"
    @Option(help: "List of this member's peer URLs to advertise to the rest of the cluster.")
    var initialAdvertisePeerUrls = "http://localhost:2380"
    @Option(help: "Human-readable name for this member.") var name = "default"
    @Flag(help: "Ignore snapshot integrity hash value (required if copied from data directory).")
    var skipHashCheck = false
    @Option(help: "How much to increase the latest revision after restore.") var bumpRevision: String = "0"
    @Flag(help: ArgumentHelp(Self.markCompactedHelp)) var markCompacted = false

    private static let markCompactedHelp =
        "Mark the latest revision after restore as the point of scheduled compaction "
        + "(required if --bump-revision > 0, disallowed otherwise)."

    func run() throws {
        guard arguments.count == 1 else { throw CtlError.badArgs("snapshot restore requires exactly one argument") }
        guard let bump = UInt64(bumpRevision) else {
            throw CtlError.badArgs("invalid argument \(GoFormat.quote(bumpRevision)) for \"--bump-revision\" flag")
        }
        if (bump > 0) != markCompacted {
            throw CtlError.badArgs("--mark-compacted required if --bump-revision > 0")
        }
        var options = SnapshotRestore.Options(snapshotPath: arguments[0])
        options.name = name
        options.dataDirectory = dataDir
        options.initialClusterToken = initialClusterToken
        options.peerURLs = initialAdvertisePeerUrls.split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        // Without the flag, as for `keel store`: this member alone, at the peer URLs it advertises.
        options.initialCluster = try initialCluster.map(Self.members) ?? []
        options.skipHashCheck = skipHashCheck
        options.bumpRevision = bump
        options.markCompacted = markCompacted
        do {
            _ = try SnapshotRestore(options: options).run()
        } catch {
            throw CtlError.failed(error.description)
        }
    }

    /// `--initial-cluster`: comma-separated `name=URL` pairs; a name given several times has several URLs.
    static func members(_ text: String) throws -> [InitialMember] {
        var members: [InitialMember] = []
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("://") else {
                throw CtlError.failed("--initial-cluster: \(GoFormat.quote(String(pair))) is not of the form name=URL")
            }
            if let index = members.firstIndex(where: { $0.name == parts[0] }) {
                members[index].peerURLs.append(parts[1])
            } else {
                members.append(InitialMember(name: parts[0], peerURLs: [parts[1]]))
            }
        }
        return members
    }
}
