import ArgumentParser
import Store

/// The value of `--initial-cluster`, read as etcd reads it: comma-separated `name=URL` pairs, where a name
/// given several times collects several peer URLs.
///
/// Guarantees that every member has at least one peer URL, that each URL is a `scheme://host:port` URL of a
/// scheme etcd accepts and without a path, and that members keep the order in which their names first appear.
struct InitialClusterFlag: Equatable, CustomStringConvertible {
    struct Member: Equatable {
        var name: String
        var peerURLs: [String]
    }

    var members: [Member]

    init(members: [Member]) {
        self.members = members
    }

    init(parsing text: String) throws {
        var members: [Member] = []
        for pair in text.split(separator: ",", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw ValidationError("--initial-cluster: \"\(pair)\" is not of the form name=URL")
            }
            let name = String(pair[..<equals])
            let url = String(pair[pair.index(after: equals)...])
            try Self.checkPeerURL(url, flag: "--initial-cluster")
            if let index = members.firstIndex(where: { $0.name == name }) {
                members[index].peerURLs.append(url)
            } else {
                members.append(Member(name: name, peerURLs: [url]))
            }
        }
        guard !members.isEmpty else { throw ValidationError("--initial-cluster names no member") }
        self.members = members
    }

    /// etcd's default when the flag is absent: this member alone, at the peer URLs it advertises.
    static func single(name: String, peerURLs: [String]) -> InitialClusterFlag {
        InitialClusterFlag(members: [Member(name: name, peerURLs: peerURLs)])
    }

    /// Checks the flag against this member's own flags, with etcd's rules and wording: the member must be
    /// named; when it bootstraps a new cluster, the URLs listed for it must be the URLs it advertises (as
    /// sets); no peer URL may belong to two members.
    func validate(localName: String, advertisedPeerURLs: [String], joiningExisting: Bool) throws {
        guard let local = members.first(where: { $0.name == localName }) else {
            throw ValidationError("couldn't find local name \"\(localName)\" in the initial cluster configuration")
        }
        if !joiningExisting {
            let listed = Set(local.peerURLs.map { InitialMember.comparable(peerURL: $0) })
            let advertised = Set(advertisedPeerURLs.map { InitialMember.comparable(peerURL: $0) })
            let advertisedText = advertisedPeerURLs.sorted().joined(separator: ",")
            let notAdvertised = local.peerURLs.filter { !advertised.contains(InitialMember.comparable(peerURL: $0)) }
            if !notAdvertised.isEmpty {
                let missing = notAdvertised.sorted().map { "\(localName)=\($0)" }.joined(separator: ",")
                throw ValidationError(
                    "--initial-cluster has \(missing) but missing from --initial-advertise-peer-urls=\(advertisedText)")
            }
            let notListed = advertisedPeerURLs.filter { !listed.contains(InitialMember.comparable(peerURL: $0)) }
            if !notListed.isEmpty {
                let own = InitialClusterFlag.single(name: localName, peerURLs: advertisedPeerURLs)
                throw ValidationError(
                    "--initial-advertise-peer-urls has \(notListed.sorted().joined(separator: ",")) "
                        + "but missing from --initial-cluster=\(own)")
            }
        }
        let urls = members.flatMap(\.peerURLs).map { InitialMember.comparable(peerURL: $0) }
        if Set(urls).count != urls.count {
            throw ValidationError("initial cluster \(self) has duplicate url")
        }
    }

    /// etcd's rendering: names in order, each URL of a name (sorted) as its own `name=URL` pair.
    var description: String {
        members.sorted { $0.name < $1.name }
            .flatMap { member in member.peerURLs.sorted().map { "\(member.name)=\($0)" } }
            .joined(separator: ",")
    }

    /// Rejects a peer URL etcd would reject, with etcd's messages.
    static func checkPeerURL(_ url: String, flag: String) throws {
        guard let schemeEnd = url.range(of: "://") else {
            throw ValidationError("\(flag): URL scheme must be http, https, unix, or unixs: \(url)")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard ["http", "https", "unix", "unixs"].contains(scheme) else {
            throw ValidationError("\(flag): URL scheme must be http, https, unix, or unixs: \(url)")
        }
        let rest = url[schemeEnd.upperBound...]
        let hostPort = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if hostPort.count != rest.count {
            throw ValidationError("\(flag): URL must not contain a path: \(url)")
        }
        if scheme == "http" || scheme == "https" {
            guard let colon = hostPort.lastIndex(of: ":"), colon != hostPort.startIndex,
                let port = Int(hostPort[hostPort.index(after: colon)...]), (0...65535).contains(port)
            else {
                throw ValidationError("\(flag): URL address does not have the form \"host:port\": \(url)")
            }
        }
    }
}
