import EtcdAPI
import GRPCCore
import GRPCWire
import Logging
import NIOCore
import NIOPosix
import Prometheus
import Store
import Synchronization

/// A store member on the network: the etcd v3 gRPC API on every client URL, `/metrics` and `/health` on
/// every metrics URL, and the member's background work (lease expiry, auto-compaction).
///
/// `run()` returns when the task running it is cancelled, after the listeners have closed; the member's
/// applier is then stopped with everything already acknowledged durable.
public final class StoreServer: Sendable {
    public struct Configuration: Sendable {
        public var store = StoreConfiguration()
        public var listenClientAddresses: [ListenAddress] = [ListenAddress(host: "127.0.0.1", port: 2379)]
        public var listenMetricsAddresses: [ListenAddress] = []
        public var autoCompaction: AutoCompactionPolicy?
        /// How often idle watchers that asked for progress notifications get one.
        public var watchProgressInterval: Duration = .seconds(600)
        /// `--experimental-initial-corrupt-check`: compare HashKV with the peers before serving clients, and
        /// refuse to start on a mismatch.
        public var initialCorruptCheck = false
        /// `--experimental-corrupt-check-time`: how often the leader compares every follower's HashKV with its
        /// own (raising the CORRUPT alarm on a mismatch); nil disables the check.
        public var corruptCheckInterval: Duration?

        public init() {}
    }

    public let configuration: Configuration
    public let member: StoreMember
    private let logger: Logger
    private let registry: PrometheusCollectorRegistry

    public init(configuration: Configuration, registry: PrometheusCollectorRegistry, logger: Logger) throws {
        self.configuration = configuration
        self.registry = registry
        self.member = try StoreMember(configuration: configuration.store, logger: logger)
        self.logger = member.logger
    }

    /// Serves until cancelled.
    public func run() async throws {
        let headers = ResponseHeaders(member: member)
        let validation = RequestValidation(
            maxRequestBytes: configuration.store.maxRequestBytes, maxTxnOps: configuration.store.maxTxnOps)
        let kv = KVService(member: member, headers: headers, validation: validation)
        let lease = LeaseService(member: member, headers: headers)
        let maintenance = MaintenanceService(member: member, headers: headers, logger: logger)
        let cluster = ClusterService(member: member, headers: headers)
        let services: [any RegistrableRPCService] = [
            kv,
            WatchService(
                member: member, headers: headers, progressInterval: configuration.watchProgressInterval,
                logger: logger),
            lease,
            maintenance,
            cluster,
        ]
        // Unary calls are answered on the lean path; streaming calls (Watch, LeaseKeepAlive, Snapshot) and
        // unknown methods are forwarded to grpc-swift's server, which serves every service.
        let forwarding = ForwardedStreamTransport()
        let grpc = GRPCServer(transport: forwarding, services: services, interceptors: [RequestMetricsInterceptor()])
        let unary = LeanUnaryMethods.all(kv: kv, lease: lease, cluster: cluster, maintenance: maintenance)
        // As etcd does, leave room above the request limit for the envelope, so that a request slightly over
        // the limit is answered with "request is too large" rather than a transport error.
        let maxMessage = configuration.store.maxRequestBytes + 512 * 1024
        let listeners = configuration.listenClientAddresses.map { address in
            var wire = GRPCWireServer.Configuration(host: address.host, port: address.port)
            wire.maximumMessageLength = maxMessage
            return GRPCWireServer(configuration: wire, methods: unary, forwarding: forwarding, logger: logger)
        }
        let metrics = MetricsHTTPServer(
            registry: registry, group: .singletonMultiThreadedEventLoopGroup,
            health: { [member] in
                if member.alarms.isEmpty { return (true, "") }
                return (false, "ALARM " + member.alarms.map { $0.kind == .noSpace ? "NOSPACE" : "CORRUPT" }.joined(separator: ","))
            })
        var metricsChannels: [any Channel] = []
        for address in configuration.listenMetricsAddresses {
            metricsChannels.append(try await metrics.bind(host: address.host, port: address.port))
            logger.info("serving metrics and health", metadata: ["url": "\(address)"])
        }
        do {
            try await member.startPeerTransport()
            if configuration.initialCorruptCheck { try await member.checkInitialHashKV() }
        } catch {
            logger.critical("the member cannot start", metadata: ["error": "\(error)"])
            for channel in metricsChannels { channel.close(promise: nil) }
            await member.shutdown()
            throw error
        }
        defer {
            for channel in metricsChannels { channel.close(promise: nil) }
        }
        do {
            try await serve(grpc: grpc, listeners: listeners)
        } catch {
            await member.shutdown()
            throw error
        }
        await member.shutdown()
    }

    private func serve(grpc: GRPCServer<ForwardedStreamTransport>, listeners: [GRPCWireServer]) async throws {
        // grpc-swift's server runs in a task of its own, out of reach of this task's cancellation, and always
        // ends by a graceful shutdown, cancelled only when that has not ended it within a grace period.
        let failure = FirstFailure()
        let serving = Task {
            do {
                try await grpc.serve()
            } catch {
                failure.record(error)
                throw error
            }
        }
        do {
            for listener in listeners { try await listener.bind() }
            try await runAlongside(serverFailure: { failure.error })
        } catch {
            await Self.stop(grpc, serving, listeners)
            // Cancellation is how the process asks the member to stop (SIGTERM, SIGINT): a normal end.
            if error is CancellationError && Task.isCancelled { return }
            throw error
        }
        await Self.stop(grpc, serving, listeners)
    }

    /// Runs the member's background work until a server fails, the member is removed or cannot persist,
    /// or this task is cancelled.
    private func runAlongside(serverFailure: @escaping @Sendable () -> (any Error)?) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for address in configuration.listenClientAddresses {
                logger.info("serving client requests", metadata: ["url": "\(address)"])
            }
            group.addTask {
                // Polled rather than awaited: waiting on a server's task would outlast this group's cancellation.
                while true {
                    if let error = serverFailure() { throw error }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            group.addTask { [member] in await member.runLeaseExpiry() }
            group.addTask { [member, logger] in
                // A removed member stops, as etcd's does, so that it never disturbs the cluster it left.
                while !member.isRemoved {
                    try await Task.sleep(for: .milliseconds(200))
                }
                logger.warning("stopping: the member has been permanently removed from the cluster")
                throw StoreError.removedMember
            }
            group.addTask { [member, logger] in
                // The Raft loop stops when it cannot persist (a full disk): the process must end with it.
                while true {
                    if let failure = member.stoppedByFailure {
                        logger.critical(
                            "stopping: the member could not persist its log", metadata: ["error": "\(failure)"])
                        throw failure
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            if let interval = configuration.corruptCheckInterval {
                group.addTask { [member] in await member.runCorruptionCheck(every: interval) }
            }
            if let policy = configuration.autoCompaction {
                group.addTask { [member] in await member.runAutoCompaction(policy) }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// How long open calls (watch streams above all) get to end after a graceful shutdown begins.
    static let shutdownGrace: Duration = .seconds(1)

    private static func stop(
        _ grpc: GRPCServer<ForwardedStreamTransport>, _ serving: Task<Void, any Error>, _ listeners: [GRPCWireServer]
    ) async {
        for listener in listeners { listener.beginGracefulShutdown() }
        grpc.beginGracefulShutdown()
        // Unstructured, so that a cancelled caller still waits out the grace period.
        await Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    _ = try? await serving.value
                    while !Task.isCancelled && listeners.contains(where: { $0.connectionCount > 0 }) {
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                }
                group.addTask { try? await Task.sleep(for: shutdownGrace) }
                await group.next()
                // Inside the group, whose waiting child ends only once the server has: calls still open (watch
                // streams above all) end as if their clients had gone.
                for listener in listeners { await listener.close() }
                serving.cancel()
                group.cancelAll()
            }
        }.value
    }
}

/// The first error any of several tasks reported.
private final class FirstFailure: Sendable {
    private let first = Mutex<(any Error)?>(nil)

    var error: (any Error)? { first.withLock { $0 } }

    func record(_ error: any Error) {
        first.withLock { $0 = $0 ?? error }
    }
}
