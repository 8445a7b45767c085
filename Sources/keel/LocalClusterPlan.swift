import ArgumentParser

/// The members of a loopback cluster that `keel up` runs: names, ports, data directories, and the
/// `keel store` arguments that start each of them.
///
/// Guarantees distinct names (`m1`, `m2`, …), distinct ports within 1…65535, one data directory per member
/// under a common directory, and the same `--initial-cluster` and token for every member.
struct LocalClusterPlan {
    struct Member {
        var name: String
        var dataDirectory: String
        var clientPort: Int
        var peerPort: Int
        var metricsPort: Int

        var endpoint: String { "127.0.0.1:\(clientPort)" }
        var clientURL: String { "http://127.0.0.1:\(clientPort)" }
        var peerURL: String { "http://127.0.0.1:\(peerPort)" }
        var metricsURL: String { "http://127.0.0.1:\(metricsPort)" }
    }

    var members: [Member]
    var token: String

    /// Ports given explicitly, one per member, or laid out from a base port as etcd's own local clusters are:
    /// client, peer and metrics ports `base`, `base+1`, `base+2` for the first member, then the same plus
    /// 20000, 30000, … for the next (2379, 22379, 32379 from etcd's default base).
    init(
        count: Int, dataDirectory: String, token: String, basePort: Int,
        clientPorts: [Int]? = nil, peerPorts: [Int]? = nil, metricsPorts: [Int]? = nil
    ) throws {
        guard count >= 1 else { throw ValidationError("--members must be at least 1 (set to \(count))") }
        func layout(_ first: Int) -> [Int] { (0..<count).map { first + ($0 == 0 ? 0 : ($0 + 1) * 10_000) } }
        func chosen(_ given: [Int]?, flag: String, first: Int) throws -> [Int] {
            guard let given else { return layout(first) }
            guard given.count == count else {
                throw ValidationError("\(flag) lists \(given.count) ports for \(count) members")
            }
            return given
        }
        let client = try chosen(clientPorts, flag: "--client-ports", first: basePort)
        let peer = try chosen(peerPorts, flag: "--peer-ports", first: basePort + 1)
        let metrics = try chosen(metricsPorts, flag: "--metrics-ports", first: basePort + 2)
        let all = client + peer + metrics
        if let bad = all.first(where: { !(1...65535).contains($0) }) {
            throw ValidationError(
                "port \(bad) is outside 1…65535; choose a lower --base-port or list the ports with "
                    + "--client-ports, --peer-ports and --metrics-ports")
        }
        guard Set(all).count == all.count else { throw ValidationError("the members' ports must all differ") }
        members = (0..<count).map { index in
            let name = "m\(index + 1)"
            return Member(
                name: name, dataDirectory: "\(dataDirectory)/\(name).etcd", clientPort: client[index],
                peerPort: peer[index], metricsPort: metrics[index])
        }
        self.token = token
    }

    var endpoints: String { members.map(\.endpoint).joined(separator: ",") }

    var initialCluster: String { members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",") }

    /// `keel store` arguments for `member`, followed by `extra`. The cluster state is always `new`: a
    /// member that already has data ignores it, as etcd does, so a second run resumes the same cluster.
    func storeArguments(for member: Member, extra: [String]) -> [String] {
        [
            "store",
            "--name", member.name,
            "--data-dir", member.dataDirectory,
            "--listen-client-urls", member.clientURL,
            "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL,
            "--initial-advertise-peer-urls", member.peerURL,
            "--listen-metrics-urls", member.metricsURL,
            "--initial-cluster", initialCluster,
            "--initial-cluster-token", token,
            "--initial-cluster-state", "new",
            "--exit-with-parent",
        ] + extra
    }
}
