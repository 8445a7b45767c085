import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// A small HTTP/1.1 server for `/metrics` (Prometheus text format) and `/health` (etcd's JSON form),
/// served on each `--listen-metrics-urls` address.
public final class MetricsHTTPServer: Sendable {
    public typealias HealthCheck = @Sendable () -> (healthy: Bool, reason: String)

    private let registry: PrometheusCollectorRegistry
    private let health: HealthCheck
    private let group: MultiThreadedEventLoopGroup

    public init(registry: PrometheusCollectorRegistry, group: MultiThreadedEventLoopGroup, health: @escaping HealthCheck) {
        self.registry = registry
        self.group = group
        self.health = health
    }

    /// Binds `host:port` and serves until the returned channel is closed.
    public func bind(host: String, port: Int) async throws -> any Channel {
        let registry = self.registry
        let health = self.health
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsRequestHandler(registry: registry, health: health))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

private final class MetricsRequestHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private let health: MetricsHTTPServer.HealthCheck

    init(registry: PrometheusCollectorRegistry, health: @escaping MetricsHTTPServer.HealthCheck) {
        self.registry = registry
        self.health = health
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        let contentType: String
        let body: [UInt8]
        switch (head.method, path) {
        case (.GET, "/metrics"):
            status = .ok
            contentType = "text/plain; version=0.0.4; charset=utf-8"
            body = registry.emitToBuffer()
        case (.GET, "/health"), (.GET, "/livez"), (.GET, "/readyz"):
            let (healthy, reason) = health()
            status = healthy ? .ok : .serviceUnavailable
            contentType = "application/json"
            body = Array(#"{"health":"\#(healthy)","reason":"\#(reason)"}"#.utf8)
        default:
            status = .notFound
            contentType = "text/plain; charset=utf-8"
            body = Array("404 page not found\n".utf8)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
