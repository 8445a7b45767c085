import ArgumentParser
import GRPCCore
import GRPCNIOTransportHTTP2

/// A server's client address as `host:port` (an `http://` prefix is accepted and ignored).
struct Endpoint: Sendable, CustomStringConvertible, ExpressibleByArgument {
    let host: String
    let port: Int

    init?(argument: String) {
        var text = Substring(argument)
        if text.hasPrefix("http://") { text = text.dropFirst("http://".count) }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        let host = text[..<colon].trimmingCharacters(in: ["[", "]"])
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    var description: String { "\(host):\(port)" }

    var target: any ResolvableTarget {
        if host.contains(":") { return .ipv6(address: host, port: port) }
        if host.split(separator: ".").count == 4 && host.allSatisfy({ $0.isNumber || $0 == "." }) {
            return .ipv4(address: host, port: port)
        }
        return .dns(host: host, port: port)
    }
}

/// A comma-separated list of endpoints, as etcdctl's `--endpoints`.
struct EndpointList: Sendable, ExpressibleByArgument {
    let endpoints: [Endpoint]

    init?(argument: String) {
        let parts = argument.split(separator: ",")
        let endpoints = parts.compactMap { Endpoint(argument: String($0)) }
        guard !endpoints.isEmpty, endpoints.count == parts.count else { return nil }
        self.endpoints = endpoints
    }
}
