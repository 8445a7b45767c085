import GRPCCore
import Logging
import NIOCore
import NIOHTTP2
import NIOPosix
import Synchronization

/// A gRPC server on one TCP address that answers the given unary methods itself, one HTTP/2 connection per
/// client and no per-call channel, and forwards every other call to `GRPCServer` through `forwarding`.
///
/// Guarantees: a call is answered exactly once (a response and trailers, trailers alone, or a reset when the
/// client resets first); requests above `maximumMessageLength` are refused with `resourceExhausted` before
/// they are buffered whole; a forwarded call's requests hold no more than its stream window until the
/// service takes them; after `beginGracefulShutdown()` no connection is accepted, clients are told (GOAWAY)
/// to open no more calls, and calls in progress end normally unless `close()` cuts them.
public final class GRPCWireServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// The largest request message accepted, in bytes.
        public var maximumMessageLength = 4 * 1024 * 1024
        /// The most calls open at once on one connection.
        public var maximumConcurrentStreams = 4096
        /// The receive window of each stream; raised to twice the largest message when that is more.
        public var streamWindow = 1 << 20

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public let configuration: Configuration
    private let methods: [String: UnaryMethod]
    private let forwarding: ForwardedStreamTransport
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex<State>(State())

    private struct Connection: Sendable {
        var channel: any Channel
        var handler: NIOLoopBound<GRPCConnectionHandler>
    }

    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: Connection] = [:]
        var quiescing = false
    }

    public init(
        configuration: Configuration, methods: [UnaryMethod], forwarding: ForwardedStreamTransport,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        self.configuration = configuration
        self.methods = Dictionary(methods.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        self.forwarding = forwarding
        self.group = group
        self.logger = logger
    }

    /// Starts listening; returns the address bound (the port is chosen by the system when 0 was asked for).
    @discardableResult
    public func bind() async throws -> SocketAddress {
        // A forwarded call gives its window back only as its messages are taken, so the window must hold two
        // whole messages of the largest size: otherwise a client could stall halfway through one.
        let streamWindow = max(
            configuration.streamWindow, 2 * (configuration.maximumMessageLength + GRPCMessageFrame.prefixLength))
        let settings: HTTP2Settings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: configuration.maximumConcurrentStreams),
            HTTP2Setting(parameter: .initialWindowSize, value: streamWindow),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 16 * 1024),
        ]
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = GRPCConnectionHandler(
                        methods: methods, forwarding: forwarding,
                        maximumMessageLength: configuration.maximumMessageLength,
                        streamWindow: streamWindow, logger: logger)
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOHTTP2Handler(mode: .server, initialSettings: settings))
                    try sync.addHandler(handler)
                    track(channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        state.withLock { $0.listener = listener }
        return listener.localAddress!
    }

    private func track(_ channel: any Channel, handler: NIOLoopBound<GRPCConnectionHandler>) {
        let id = ObjectIdentifier(channel)
        let quiescing = state.withLock { state in
            state.connections[id] = Connection(channel: channel, handler: handler)
            return state.quiescing
        }
        if quiescing { handler.value.quiesce() }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }

    /// Stops accepting connections and calls; each connection closes once its calls have ended.
    public func beginGracefulShutdown() {
        let listener = state.withLock { state in
            state.quiescing = true
            return state.listener
        }
        listener?.close(promise: nil)
        for connection in state.withLock({ Array($0.connections.values) }) {
            connection.handler.eventLoop.execute { connection.handler.value.quiesce() }
        }
    }

    /// The number of client connections open now.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Closes the listener and every connection at once; calls still open end as if their clients had gone.
    public func close() async {
        let (listener, connections) = state.withLock { state in
            state.quiescing = true
            return (state.listener, state.connections.values.map(\.channel))
        }
        try? await listener?.close()
        for connection in connections { try? await connection.close() }
    }
}
