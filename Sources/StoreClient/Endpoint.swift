import GRPCCore
import GRPCNIOTransportHTTP2

/// One store address: `host:port`, as etcd's clients write it, optionally behind an `http://` scheme.
///
/// An IPv4 or IPv6 literal is dialled as such; any other host is resolved through DNS on every connection
/// attempt, so a name that moves to another address is followed.
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `http://host:port` or `[v6]:port`.
    public init(parsing text: String) throws(StoreClientError) {
        var address = Substring(text)
        if address.hasPrefix("https://") {
            throw StoreClientError(code: .invalidEndpoint, message: "\(text): TLS endpoints are not supported")
        }
        if address.hasPrefix("http://") { address = address.dropFirst("http://".count) }
        while address.hasSuffix("/") { address = address.dropLast() }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65535).contains(port)
        else {
            throw StoreClientError(code: .invalidEndpoint, message: "\(text): expected host:port")
        }
        let host = address[..<colon].trimmingPrefix("[")
        self.host = String(host.hasSuffix("]") ? host.dropLast() : host)
        guard !self.host.isEmpty else {
            throw StoreClientError(code: .invalidEndpoint, message: "\(text): expected host:port")
        }
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    var target: any ResolvableTarget {
        if host.contains(":") { return .ipv6(address: host, port: port) }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            return .ipv4(address: host, port: port)
        }
        return .dns(host: host, port: port)
    }
}
