/// Why the start-up corruption check (`--experimental-initial-corrupt-check`) refused to let the member serve.
public enum CorruptionCheckError: Error, Equatable, Sendable, CustomStringConvertible {
    /// This member's HashKV at its revision differs from that of `peers`, which have the same compacted
    /// revision: its data (or theirs) is not what the log says it should be.
    case inconsistentWithPeers(member: UInt64, revision: Int64, peers: [UInt64])

    public var description: String {
        switch self {
        case .inconsistentWithPeers(let member, let revision, let peers):
            // etcd's own words, so that operators and tooling recognise the failure.
            return "\(String(member, radix: 16)) found data inconsistency with peers "
                + "(HashKV at revision \(revision) differs from \(peers.map { String($0, radix: 16) }))"
        }
    }
}
