import ArgumentParser

/// Which etcd v3 server a cluster is made of. Both take etcd's flags; only the way each is started differs.
enum ServerKind: String, Sendable, CaseIterable, ExpressibleByArgument {
    case keel
    case etcd

    /// The arguments that follow the executable: Keel's server is the `store` subcommand of `keel`.
    func arguments(for member: ClusterLayout.Member, in layout: ClusterLayout) -> [String] {
        let prefix: [String] =
            switch self {
            case .keel: ["store"]
            case .etcd: []
            }
        return prefix + [
            "--name", member.name,
            "--data-dir", member.dataDirectory,
            "--listen-client-urls", member.clientURL,
            "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL,
            "--initial-advertise-peer-urls", member.peerURL,
            "--listen-metrics-urls", member.metricsURL,
            "--initial-cluster", layout.initialCluster,
            "--initial-cluster-state", "new",
            "--initial-cluster-token", layout.token,
            "--heartbeat-interval", String(layout.heartbeatInterval),
            "--election-timeout", String(layout.electionTimeout),
        ]
    }
}
