import Foundation

/// One member position of the cluster under test. A replaced member keeps its slot (client and real peer
/// port, data directory) but gets a new name and a new advertised peer URL, hence a new member id.
struct MemberSlot: Sendable {
    var index: Int
    var name: String
    var endpoint: String
    /// The port the member listens on for peers; 0 when the runner did not start the cluster.
    var peerPort: Int
    /// The proxy port the member advertises to its peers; nil when no proxy stands in front of it.
    var proxyPort: Int?
    var dataDirectory: URL?
    var logFile: URL?
    /// "new" for an initial member, "existing" for one that joined a running cluster.
    var initialClusterState = "new"
    /// How many times the member of this slot was replaced.
    var generation = 0

    var clientURL: String { "http://\(endpoint)" }
    var listenPeerURL: String { "http://127.0.0.1:\(peerPort)" }
    var advertisedPeerURL: String { "http://127.0.0.1:\(proxyPort ?? peerPort)" }
}
