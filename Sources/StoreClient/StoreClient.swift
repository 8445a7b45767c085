import EtcdAPI
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization

/// A client of a Keel store, or of any etcd v3 cluster, over the etcd v3 gRPC API.
///
/// It keeps one connection per endpoint and sends each request to one of them: reads to the endpoint that
/// last answered, writes to the leader once the endpoints have said which member leads. When an endpoint
/// cannot be reached it moves to the next. Requests that are safe to repeat (reads, status, lists,
/// keep-alives) are retried on another endpoint; a write is retried only when it certainly never reached a
/// server, otherwise it fails with ``StoreClientError/Code/outcomeUnknown``. Watches resume where they
/// stopped, on whichever endpoint answers, without losing or repeating a revision.
///
/// The life cycle is `GRPCClient`'s: call ``run()`` in a task (requests made before it starts wait for
/// it), and ``close()`` to finish; or use ``withStoreClient(endpoints:configuration:logger:isolation:_:)``.
public final class StoreClient: Sendable {
    private enum Phase {
        case idle
        case running
        case closed
    }

    private struct Lifecycle {
        var phase = Phase.idle
        /// Cancels each background task (watch, keep-alive) still running, by registration number.
        var background: [UInt64: @Sendable () -> Void] = [:]
        var nextBackgroundID: UInt64 = 0
    }

    public let configuration: Configuration
    public let endpoints: [Endpoint]
    let pool: EndpointPool
    let logger: Logger
    private let lifecycle = Mutex(Lifecycle())

    /// Creates a client of the endpoints given as `host:port` (an `http://` scheme is accepted).
    public convenience init(
        endpoints: [String], configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "keel.store-client")
    ) throws(StoreClientError) {
        var parsed: [Endpoint] = []
        for text in endpoints { parsed.append(try Endpoint(parsing: text)) }
        try self.init(endpoints: parsed, configuration: configuration, logger: logger)
    }

    public init(
        endpoints: [Endpoint], configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "keel.store-client")
    ) throws(StoreClientError) {
        guard !endpoints.isEmpty else {
            throw StoreClientError(code: .invalidEndpoint, message: "no endpoints given")
        }
        self.configuration = configuration
        self.endpoints = endpoints
        self.logger = logger
        var members: [EndpointPool.Member] = []
        for endpoint in endpoints {
            let transport: HTTP2ClientTransport.Posix
            do {
                transport = try HTTP2ClientTransport.Posix(
                    target: endpoint.target,
                    transportSecurity: .plaintext,
                    config: .defaults { config in
                        config.backoff.initial = configuration.reconnectBackoff.initial
                        config.backoff.max = configuration.reconnectBackoff.max
                        if let keepalive = configuration.keepalive {
                            config.connection.keepalive = .init(
                                time: keepalive.time, timeout: keepalive.timeout, allowWithoutCalls: false)
                        }
                    })
            } catch {
                throw StoreClientError(code: .invalidEndpoint, message: "\(endpoint): \(error)", endpoint: endpoint)
            }
            let grpc = GRPCClient(transport: transport, interceptors: [CallProgressInterceptor()])
            members.append(EndpointPool.Member(endpoint: endpoint, grpc: grpc))
        }
        self.pool = EndpointPool(members: members)
    }

    /// Maintains the connections until ``close()`` is called and every request in flight has finished.
    /// Cancelling the task running it stops every connection at once. Call it once; after ``close()`` it
    /// returns at once.
    public func run() async throws {
        let phase = lifecycle.withLock { lifecycle in
            defer { if case .idle = lifecycle.phase { lifecycle.phase = .running } }
            return lifecycle.phase
        }
        switch phase {
        case .idle: break
        case .running: throw StoreClientError(code: .closed, message: "the client is already running")
        case .closed: return
        }
        try await withThrowingDiscardingTaskGroup { group in
            for member in pool.members {
                group.addTask {
                    do {
                        try await member.grpc.runConnections()
                    } catch let error as RuntimeError where error.code == .clientIsStopped && self.isClosed {
                        // Closed before this connection started: there is nothing to run.
                    }
                }
            }
        }
    }

    /// Ends the client: watches finish, keep-alives stop, new requests fail with
    /// ``StoreClientError/Code/closed``, and ``run()`` returns once the requests in flight have finished.
    public func close() {
        let cancellations = lifecycle.withLock { lifecycle in
            lifecycle.phase = .closed
            defer { lifecycle.background = [:] }
            return Array(lifecycle.background.values)
        }
        for cancel in cancellations { cancel() }
        for member in pool.members { member.grpc.beginGracefulShutdown() }
    }

    var isClosed: Bool {
        lifecycle.withLock { lifecycle in
            if case .closed = lifecycle.phase { return true }
            return false
        }
    }

    /// Starts `operation` in a task that ``close()`` cancels. `nil` when the client is already closed.
    func startBackgroundTask(
        _ operation: @escaping @Sendable () async -> Void
    ) -> Task<Void, Never>? {
        lifecycle.withLock { lifecycle -> Task<Void, Never>? in
            if case .closed = lifecycle.phase { return nil }
            let id = lifecycle.nextBackgroundID
            lifecycle.nextBackgroundID += 1
            let task = Task {
                await operation()
                _ = self.lifecycle.withLock { $0.background.removeValue(forKey: id) }
            }
            lifecycle.background[id] = { task.cancel() }
            return task
        }
    }
}

/// Runs `body` with a client of `endpoints` whose connections live exactly as long as the call.
///
/// The client is closed when `body` returns (gracefully) or throws (at once).
public func withStoreClient<Result: Sendable>(
    endpoints: [String],
    configuration: StoreClient.Configuration = StoreClient.Configuration(),
    logger: Logger = Logger(label: "keel.store-client"),
    isolation: isolated (any Actor)? = #isolation,
    _ body: (StoreClient) async throws -> Result
) async throws -> Result {
    let client = try StoreClient(endpoints: endpoints, configuration: configuration, logger: logger)
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
        group.addTask { try await client.run() }
        do {
            let result = try await body(client)
            client.close()
            // A graceful shutdown waits for the server to finish open streams; a member that is stopped
            // (SIGSTOP) never does, so the connections are cancelled after a short grace period.
            group.addTask { try await Task.sleep(for: .seconds(1)) }
            _ = try? await group.next()
            group.cancelAll()
            while let _ = try? await group.next() {}
            return result
        } catch {
            client.close()
            group.cancelAll()
            throw error
        }
    }
}
