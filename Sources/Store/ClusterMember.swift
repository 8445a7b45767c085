/// A member of the cluster as clients see it (etcd's `Member`): the Raft id, and the names and URLs that the
/// members agree on through the log. Kept in the replicated state, so every member lists the same members.
public struct ClusterMember: Sendable, Hashable {
    public var id: UInt64
    /// Empty until the member has started and published itself (etcd shows such a member as unstarted).
    public var name: String
    public var peerURLs: [String]
    /// Published by the member itself once it serves clients.
    public var clientURLs: [String]
    public var isLearner: Bool

    public init(id: UInt64, name: String, peerURLs: [String], clientURLs: [String] = [], isLearner: Bool = false) {
        self.id = id
        self.name = name
        self.peerURLs = peerURLs
        self.clientURLs = clientURLs
        self.isLearner = isLearner
    }
}

extension ClusterMember {
    /// The member's attributes as a `ConfigChange` context: id, learner flag, name, peer URLs, client URLs.
    var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.write(id)
        writer.write(UInt8(isLearner ? 1 : 0))
        writer.write(Array(name.utf8))
        writer.write(UInt64(peerURLs.count))
        for url in peerURLs { writer.write(Array(url.utf8)) }
        writer.write(UInt64(clientURLs.count))
        for url in clientURLs { writer.write(Array(url.utf8)) }
        return writer.bytes
    }

    init(decoding reader: inout ByteReader) throws(ByteReader.Failure) {
        let id = try reader.readUInt64()
        let learner = try reader.readUInt8() == 1
        let name = String(decoding: try reader.readBytes(), as: UTF8.self)
        var peers: [String] = []
        for _ in 0..<min(try reader.readUInt64(), 1024) { peers.append(String(decoding: try reader.readBytes(), as: UTF8.self)) }
        var clients: [String] = []
        for _ in 0..<min(try reader.readUInt64(), 1024) { clients.append(String(decoding: try reader.readBytes(), as: UTF8.self)) }
        self.init(id: id, name: name, peerURLs: peers, clientURLs: clients, isLearner: learner)
    }

    init?(encoded bytes: [UInt8]) {
        var reader = ByteReader(bytes)
        guard let member = try? ClusterMember(decoding: &reader) else { return nil }
        self = member
    }

    /// The list kept in the replicated state, sorted by id.
    static func encodeList(_ members: [ClusterMember]) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt64(members.count))
        for member in members.sorted(by: { $0.id < $1.id }) { writer.write(member.encoded) }
        return writer.bytes
    }

    static func decodeList(_ bytes: [UInt8]?) -> [ClusterMember] {
        guard let bytes else { return [] }
        var reader = ByteReader(bytes)
        guard let count = try? reader.readUInt64() else { return [] }
        var members: [ClusterMember] = []
        for _ in 0..<min(count, 4096) {
            guard let encoded = try? reader.readBytes(), let member = ClusterMember(encoded: encoded) else { break }
            members.append(member)
        }
        return members
    }
}
