/// The address of a peer as advertised in the membership, such as `http://127.0.0.1:2380`.
///
/// Accepts `http` and `https` (no scheme means `http`), a host name, an IPv4 address or a bracketed IPv6
/// address, and a port from 1 to 65535 (2380 when omitted). A trailing path is ignored.
public struct PeerURL: Hashable, Sendable, CustomStringConvertible {
    /// How the peer is reached. The transport speaks its framed protocol in the clear for both; `https`
    /// is accepted so that etcd-style membership URLs parse, and a warning is logged for it.
    public enum Scheme: String, Hashable, Sendable {
        case http
        case https
    }

    /// The port members listen on for each other when a URL names none.
    public static let defaultPort = 2380

    public var scheme: Scheme
    public var host: String
    public var port: Int

    public init(scheme: Scheme = .http, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(PeerURLError) {
        var rest = Substring(text.trimmingSpaces)
        var scheme = Scheme.http
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
            let name = rest[..<colon].lowercased()
            guard let parsed = Scheme(rawValue: name) else {
                throw PeerURLError(text: text, reason: .unsupportedScheme(name))
            }
            scheme = parsed
            rest = rest[rest.index(colon, offsetBy: 3)...]
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }

        let host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw PeerURLError(text: text, reason: .invalidHost) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw PeerURLError(text: text, reason: .invalidHost) }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "@" || (!rest.hasPrefix("[") && $0 == ":") })
        else {
            throw PeerURLError(text: text, reason: .invalidHost)
        }
        var port = Self.defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw PeerURLError(text: text, reason: .invalidPort(String(portText)))
            }
            port = value
        }
        self.init(scheme: scheme, host: String(host), port: port)
    }

    public var description: String {
        "\(scheme.rawValue)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// A peer URL that cannot be used, with the text and the reason.
public struct PeerURLError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Which part of the URL is wrong.
    public enum Reason: Hashable, Sendable {
        case unsupportedScheme(String)
        case invalidHost
        case invalidPort(String)
    }

    public var text: String
    public var reason: Reason

    public init(text: String, reason: Reason) {
        self.text = text
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .unsupportedScheme(let scheme):
            return "invalid peer URL \"\(text)\": unsupported scheme \"\(scheme)\" (expected http or https)"
        case .invalidHost:
            return "invalid peer URL \"\(text)\": missing or malformed host"
        case .invalidPort(let port):
            return "invalid peer URL \"\(text)\": port \"\(port)\" is not in 1...65535"
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
