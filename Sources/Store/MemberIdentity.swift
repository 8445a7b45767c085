import Crypto

/// The ids a member presents in every response header. They are derived once, when the data directory is
/// created, from the member's peer URLs and the cluster token (as etcd derives them), then read back from
/// the data directory on every later start so that they never change under a client.
public struct MemberIdentity: Sendable, Hashable {
    public var clusterID: UInt64
    public var memberID: UInt64
    public var name: String

    public init(clusterID: UInt64, memberID: UInt64, name: String) {
        self.clusterID = clusterID
        self.memberID = memberID
        self.name = name
    }

    /// The ids for a new single-member cluster.
    public static func derive(name: String, peerURLs: [String], clusterToken: String) -> MemberIdentity {
        let memberID = memberID(peerURLs: peerURLs, clusterToken: clusterToken)
        return MemberIdentity(clusterID: clusterID(memberIDs: [memberID], clusterToken: clusterToken), memberID: memberID, name: name)
    }

    /// A member's id: the same on every member that knows its peer URLs and the cluster token, so the members
    /// of a new cluster agree on each other's ids without talking, and a member added later computes its own.
    public static func memberID(peerURLs: [String], clusterToken: String) -> UInt64 {
        leadingUInt64(of: peerURLs.sorted().joined() + clusterToken)
    }

    /// The id of a new cluster made of `memberIDs`.
    public static func clusterID(memberIDs: [UInt64], clusterToken: String) -> UInt64 {
        leadingUInt64(of: memberIDs.sorted().map { String($0, radix: 16) }.joined() + clusterToken)
    }

    private static func leadingUInt64(of text: String) -> UInt64 {
        let digest = Array(SHA256.hash(data: Array(text.utf8)))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        // Zero means "no member" in etcd's API.
        return value == 0 ? 1 : value
    }
}
