/// Names, ports and data directories of a three-member cluster on 127.0.0.1, derived from one base port so
/// that a Keel run and an etcd run use the same addresses and differ in nothing but the server.
///
/// Member `i` (from 0) listens for clients on `basePort + 3i`, for peers on `basePort + 3i + 1` and for
/// metrics on `basePort + 3i + 2`; its data lives in `<directory>/m<i+1>.etcd`.
struct ClusterLayout: Sendable {
    /// One member's fixed settings: a restarted member gets exactly these again.
    struct Member: Sendable {
        let name: String
        let clientPort: Int
        let peerPort: Int
        let metricsPort: Int
        let dataDirectory: String
        let logPath: String

        var clientURL: String { "http://127.0.0.1:\(clientPort)" }
        var peerURL: String { "http://127.0.0.1:\(peerPort)" }
        var metricsURL: String { "http://127.0.0.1:\(metricsPort)" }
        var endpoint: Endpoint { Endpoint(argument: "127.0.0.1:\(clientPort)")! }
    }

    let members: [Member]
    let token: String
    let heartbeatInterval: Int
    let electionTimeout: Int

    /// Ports in use: three per member.
    static let portsPerMember = 3

    init(directory: String, basePort: Int, memberCount: Int = 3, heartbeatInterval: Int, electionTimeout: Int) {
        members = (0..<memberCount).map { index in
            let port = basePort + Self.portsPerMember * index
            let name = "m\(index + 1)"
            return Member(
                name: name, clientPort: port, peerPort: port + 1, metricsPort: port + 2,
                dataDirectory: "\(directory)/\(name).etcd", logPath: "\(directory)/\(name).log")
        }
        token = "keel-bench-failover"
        self.heartbeatInterval = heartbeatInterval
        self.electionTimeout = electionTimeout
    }

    /// etcd's `--initial-cluster`: name=peerURL for every member.
    var initialCluster: String {
        members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
    }

    /// Every port the cluster listens on.
    var ports: [Int] {
        members.flatMap { [$0.clientPort, $0.peerPort, $0.metricsPort] }
    }
}
