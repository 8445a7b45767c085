import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

typealias StoreClient = GRPCClient<HTTP2ClientTransport.Posix>

/// One `--endpoints` entry: `host:port`, optionally with an `http://` scheme, kept as written for printing.
struct Endpoint: Sendable {
    let text: String
    let host: String
    let port: Int

    init(parsing text: String) throws {
        self.text = text
        guard !text.hasPrefix("https://") else { throw CtlError.badArgs("TLS endpoints are not supported: \(text)") }
        let address = text.hasPrefix("http://") ? text.dropFirst(7) : Substring(text)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw CtlError.badArgs("bad endpoint \(text): expected host:port")
        }
        self.host = String(address[..<colon]).trimmingCharacters(in: ["[", "]"])
        self.port = port
    }

    var target: any ResolvableTarget {
        if host.contains(":") { return .ipv6(address: host, port: port) }
        if host.split(separator: ".").count == 4, host.allSatisfy({ $0.isNumber || $0 == "." }) {
            return .ipv4(address: host, port: port)
        }
        return .dns(host: host, port: port)
    }
}

/// Talks to the first endpoint that answers. An endpoint that refuses the connection, or has not completed the
/// HTTP/2 handshake within the dial timeout, is skipped; one that answered keeps the command, errors included.
struct Connection: Sendable {
    let endpoints: [Endpoint]
    let dialTimeout: Duration
    let commandTimeout: Duration

    /// Options for requests bounded by `--command-timeout`; responses may be as large as the server sends.
    var options: CallOptions {
        var options = CallOptions.defaults
        options.timeout = commandTimeout
        options.maxRequestMessageBytes = Int(Int32.max)
        return options
    }

    /// Options for streams that last until the user stops them (watch, keep-alive, snapshot).
    var streamOptions: CallOptions {
        var options = self.options
        options.timeout = nil
        return options
    }

    func withClient<R: Sendable>(_ body: @escaping @Sendable (StoreClient) async throws -> R) async throws -> R {
        var lastError: any Error = DialTimeout()
        for endpoint in endpoints {
            do {
                return try await withClient(at: endpoint, body)
            } catch where Self.isUnreachable(error) {
                lastError = error
            }
        }
        throw lastError
    }

    func withClient<R: Sendable>(
        at endpoint: Endpoint, _ body: @escaping @Sendable (StoreClient) async throws -> R
    ) async throws -> R {
        let handshake = Handshake()
        let transport = try HTTP2ClientTransport.Posix(
            target: endpoint.target,
            transportSecurity: .plaintext,
            config: .defaults { config in
                config.channelDebuggingCallbacks.onCreateHTTP2Stream = { channel in
                    handshake.complete()
                    return channel.eventLoop.makeSucceededVoidFuture()
                }
            }
        )
        let dialTimeout = self.dialTimeout
        return try await withGRPCClient(transport: transport) { client in
            try await withThrowingTaskGroup(of: R?.self) { group in
                group.addTask { try await body(client) }
                group.addTask {
                    try await Task.sleep(for: dialTimeout)
                    if !handshake.isComplete { throw DialTimeout() }
                    return nil
                }
                while let result = try await group.next() {
                    if let result {
                        group.cancelAll()
                        return result
                    }
                }
                throw DialTimeout()
            }
        }
    }

    /// etcd's Go client refuses to send a request over 2 MiB, the server's default limit; so does this one, in
    /// the same words.
    static func checkSendSize(_ message: [UInt8]) throws {
        let limit = 2 * 1024 * 1024
        guard message.count <= limit else {
            let detail = "trying to send message larger than max (\(message.count) vs. \(limit))"
            throw CtlError.failed("rpc error: code = ResourceExhausted desc = " + detail)
        }
    }

    private static func isUnreachable(_ error: any Error) -> Bool {
        if error is DialTimeout { return true }
        guard let error = error as? RPCError else { return false }
        return error.code == .unavailable && !error.message.hasPrefix("etcdserver:")
    }

    /// The text etcdctl shows for a failed request: the server's own "etcdserver: ..." message, "context
    /// deadline exceeded" when nobody answered in time, otherwise gRPC's status in Go's wording.
    static func describe(_ error: any Error) -> String {
        if let error = error as? CtlError { return error.message ?? "" }
        if error is DialTimeout || error is CancellationError { return "context deadline exceeded" }
        guard let error = error as? RPCError else { return "\(error)" }
        if error.message.hasPrefix("etcdserver:") { return error.message }
        switch error.code {
        case .deadlineExceeded, .unavailable, .cancelled: return "context deadline exceeded"
        default:
            let name = String(describing: error.code)
            return "rpc error: code = \(name.prefix(1).uppercased() + name.dropFirst()) desc = \(error.message)"
        }
    }
}

private struct DialTimeout: Error {}

/// Set once the HTTP/2 connection carries a stream, which it does only after the server's handshake.
private final class Handshake: Sendable {
    private let done = Atomic(false)

    func complete() { done.store(true, ordering: .relaxed) }

    var isComplete: Bool { done.load(ordering: .relaxed) }
}
