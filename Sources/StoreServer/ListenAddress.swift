/// A `scheme://host:port` URL as given to `--listen-client-urls` and similar flags.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int

    public init(scheme: String = "http", host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses `http://127.0.0.1:2379`; `localhost` becomes 127.0.0.1 so that only loopback is bound.
    public init(parsing text: String) throws {
        var rest = Substring(text)
        var scheme = "http"
        if let range = rest.range(of: "://") {
            scheme = String(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        guard scheme == "http" || scheme == "https" || scheme == "unix" else {
            throw ListenAddressError(text: text, reason: "unsupported scheme \(scheme)")
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ListenAddressError(text: text, reason: "expected host:port")
        }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.isEmpty { host = "127.0.0.1" }
        self.init(scheme: scheme, host: host, port: port)
    }

    public var description: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Parses a comma-separated list.
    public static func list(_ text: String) throws -> [ListenAddress] {
        try text.split(separator: ",").map { try ListenAddress(parsing: String($0).trimmingSpaces) }
    }
}

/// A listen URL that cannot be used, with the reason.
public struct ListenAddressError: Error, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "invalid URL \"\(text)\": \(reason)" }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
