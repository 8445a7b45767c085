import Logging
import NIOCore
import NIOPosix
import Raft
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Carries Raft messages and small application frames between the members of one cluster over TCP.
///
/// Guarantees:
/// - `send` never blocks on I/O. Envelopes to one peer leave in order on one long-lived connection, and
///   everything queued while a write is in flight goes out in the next write with one flush. Each peer's
///   queue is bounded; what does not fit, or waited for a connection that failed, is dropped and the peer is
///   reported `.unreachable` (at most once per back-off period). Envelopes to unknown peers are dropped.
/// - Each snapshot travels on a connection of its own and is followed by exactly one `.snapshot` report.
/// - Every connection opens with a handshake naming the cluster and both members; the acceptor refuses a
///   connection from another cluster or meant for another member. Cluster id zero stands for "not known
///   yet" (a member joining an existing cluster) and is let through until `setClusterID` is called.
/// - Received envelopes are passed to `deliver` in the order they arrived on their connection, one call per
///   read burst, on a transport thread: `deliver` and `report` must return quickly and must not block.
/// - After `shutdown()` returns, no connection is open and no callback runs.
public final class PeerTransport: Sendable {
    public let memberID: NodeID
    private let listenHost: String
    private let listenPort: Int
    private let context: TransportContext
    private let group: MultiThreadedEventLoopGroup
    /// Whether `group` is this transport's own, shut down with it, rather than one shared with other servers.
    private let ownsGroup: Bool
    private let state = Mutex(State())

    private struct State {
        var lifecycle = Lifecycle.idle
        var peers: [NodeID: PeerOutbound] = [:]
        var inbound: [ObjectIdentifier: any Channel] = [:]
        var transfers: [ObjectIdentifier: SnapshotTransfer] = [:]
    }

    private enum Lifecycle {
        case idle
        case starting
        case listening(any Channel)
        case shutDown

        var isShutDown: Bool {
            if case .shutDown = self { return true }
            return false
        }
    }

    /// - Parameters:
    ///   - clusterID: zero when not known yet (see `setClusterID`).
    ///   - listenHost, listenPort: where `start()` listens for other members; port 0 picks a free port.
    ///   - limits: queue, frame and timing bounds.
    ///   - eventLoopThreads: the threads that run every connection of this transport, when it has its own.
    ///   - sharedGroup: event loops to run on instead of threads of its own, e.g. those the client server
    ///     runs on, so that a member does not multiply threads on few cores; not shut down by `stop()`.
    ///   - deliver: receives inbound envelopes, in batches; must not block.
    ///   - report: receives delivery reports from any transport thread; must not block.
    public init(
        memberID: NodeID,
        clusterID: UInt64,
        listenHost: String,
        listenPort: Int,
        logger: Logger,
        limits: PeerTransportLimits = PeerTransportLimits(),
        eventLoopThreads: Int = 2,
        sharedGroup: MultiThreadedEventLoopGroup? = nil,
        deliver: @escaping @Sendable ([PeerEnvelope]) -> Void,
        report: @escaping @Sendable (PeerTransportReport) -> Void
    ) {
        self.memberID = memberID
        self.listenHost = listenHost
        self.listenPort = listenPort
        var logger = logger
        logger[metadataKey: "member"] = "\(String(memberID, radix: 16))"
        self.context = TransportContext(
            memberID: memberID,
            cluster: ClusterIdentity(clusterID),
            limits: limits,
            logger: logger,
            deliver: deliver,
            report: report
        )
        self.group = sharedGroup ?? MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoopThreads))
        self.ownsGroup = sharedGroup == nil
    }

    /// The cluster id presented in handshakes and required of connecting members; zero while unknown.
    public var clusterID: UInt64 { context.clusterID }

    /// Sets the cluster id once a member that joined an existing cluster (and started with id zero) has
    /// learnt it. Connections made from now on present it and require it; open connections are kept.
    public func setClusterID(_ id: UInt64) {
        let previous = context.clusterID
        guard previous != id else { return }
        context.cluster.set(id)
        context.logger.info("cluster id set", metadata: ["cluster": "\(id)", "previous": "\(previous)"])
    }

    /// The port the listener is bound to (useful when `listenPort` is 0), or 0 before `start()`.
    public var boundPort: Int {
        state.withLock { state in
            if case .listening(let channel) = state.lifecycle { return channel.localAddress?.port ?? 0 }
            return 0
        }
    }

    /// Binds the listener for connections from other members.
    public func start() async throws(PeerTransportError) {
        try state.withLock { state throws(PeerTransportError) in
            guard case .idle = state.lifecycle else { throw .invalidState("start() called more than once") }
            state.lifecycle = .starting
        }
        let context = self.context
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(
                .recvAllocator,
                value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 << 10, maximum: 1 << 20)
            )
            .childChannelInitializer { [weak self] channel in
                guard let self, self.register(inbound: channel) else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        PeerInboundHandler(transport: context) { [weak self] peer in self?.peerConnected(peer) })
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: listenHost, port: listenPort).get()
        } catch {
            state.withLock { state in
                if case .starting = state.lifecycle { state.lifecycle = .idle }
            }
            throw bindError(error)
        }
        let stillStarting = state.withLock { state -> Bool in
            guard case .starting = state.lifecycle else { return false }
            state.lifecycle = .listening(channel)
            return true
        }
        guard stillStarting else {
            try? await channel.close()
            throw .invalidState("shut down while starting")
        }
        context.logger.info(
            "listening for peers",
            metadata: ["address": "\(listenHost):\(channel.localAddress?.port ?? listenPort)"]
        )
    }

    /// Sets the members to talk to and their URLs (such as "http://127.0.0.1:2380"). Peers not listed any
    /// more are disconnected and their queued envelopes dropped; the local member is ignored. Invalid URLs
    /// are logged and skipped.
    public func setPeers(_ peers: [NodeID: [String]]) {
        var wanted: [NodeID: [PeerURL]] = [:]
        for (id, texts) in peers where id != memberID {
            var urls: [PeerURL] = []
            for text in texts {
                do {
                    let url = try PeerURL(parsing: text)
                    if url.scheme == .https {
                        context.logger(peer: id).warning(
                            "peer URL asks for TLS, which the peer transport does not provide; connecting in the clear",
                            metadata: ["url": "\(text)"]
                        )
                    }
                    urls.append(url)
                } catch {
                    context.logger(peer: id).error("ignoring invalid peer URL", metadata: ["error": "\(error)"])
                }
            }
            wanted[id] = urls
        }
        state.withLock { state in
            guard !state.lifecycle.isShutDown else { return }
            for (id, peer) in state.peers where wanted[id] == nil {
                state.peers[id] = nil
                context.logger(peer: id).info("removing peer")
                // Under the lock, so that it is ordered before a concurrent shutdown stops the event loops.
                _ = peer.stop()
            }
            for (id, urls) in wanted {
                if let peer = state.peers[id] {
                    peer.update(urls: urls)
                } else {
                    let peer = PeerOutbound(id: id, urls: urls, eventLoop: group.next(), transport: context)
                    state.peers[id] = peer
                    context.logger(peer: id).info("adding peer", metadata: ["urls": "\(urls)"])
                    peer.start()
                }
            }
        }
    }

    /// Queues envelopes for their destinations and returns at once; see the type's guarantees.
    public func send(_ envelopes: [PeerEnvelope]) {
        guard !envelopes.isEmpty else { return }
        let peers = state.withLock { state in state.lifecycle.isShutDown ? nil : state.peers }
        guard let peers else {
            for envelope in envelopes where envelope.isSnapshot {
                context.report(.snapshot(to: envelope.destination, succeeded: false))
            }
            return
        }
        let first = envelopes[0].destination
        if envelopes.allSatisfy({ $0.destination == first }) {
            route(envelopes, to: first, peers: peers)
            return
        }
        var order: [NodeID] = []
        var groups: [NodeID: [PeerEnvelope]] = [:]
        for envelope in envelopes {
            let destination = envelope.destination
            if groups[destination] == nil { order.append(destination) }
            groups[destination, default: []].append(envelope)
        }
        for destination in order {
            route(groups[destination]!, to: destination, peers: peers)
        }
    }

    /// Stops listening, closes every connection, fails unfinished snapshot transfers and stops the event
    /// loops. Safe to call more than once.
    public func shutdown() async {
        let taken = state.withLock { state -> (Lifecycle, [PeerOutbound], [any Channel], [SnapshotTransfer])? in
            guard !state.lifecycle.isShutDown else { return nil }
            let previous = state.lifecycle
            state.lifecycle = .shutDown
            defer {
                state.peers = [:]
                state.inbound = [:]
                state.transfers = [:]
            }
            return (previous, Array(state.peers.values), Array(state.inbound.values), Array(state.transfers.values))
        }
        guard let (previous, peers, inbound, transfers) = taken else { return }
        var closing: [EventLoopFuture<Void>] = []
        if case .listening(let listener) = previous {
            closing.append(listener.close().recover { _ in })
        }
        closing += peers.map { $0.stop() }
        closing += transfers.map { $0.cancel() }
        closing += inbound.map { $0.close().recover { _ in } }
        for future in closing {
            try? await future.get()
        }
        if ownsGroup { try? await group.shutdownGracefully() }
        context.logger.debug("peer transport shut down")
    }

    // MARK: - Internals

    /// A peer has just connected to this member, so it is up: a connection to it that is waiting out its
    /// back-off is made now. Without this, a restarted member would hear from the leader only when the
    /// leader's back-off (up to `PeerTransportLimits.maxBackoff`) runs out, and wait that long to learn who
    /// leads.
    private func peerConnected(_ peer: NodeID) {
        let outbound = state.withLock { $0.peers[peer] }
        outbound?.peerIsUp()
    }

    private func route(_ envelopes: [PeerEnvelope], to destination: NodeID, peers: [NodeID: PeerOutbound]) {
        guard let peer = peers[destination] else {
            context.logger(peer: destination).debug(
                "dropping envelopes for unknown peer",
                metadata: ["count": "\(envelopes.count)"]
            )
            for envelope in envelopes where envelope.isSnapshot {
                context.report(.snapshot(to: destination, succeeded: false))
            }
            return
        }
        var stream: [PeerEnvelope] = []
        stream.reserveCapacity(envelopes.count)
        for envelope in envelopes {
            if case .raft(let message) = envelope, case .snapshot = message.kind {
                if !stream.isEmpty {
                    peer.enqueue(stream)
                    stream.removeAll(keepingCapacity: true)
                }
                startSnapshot(message, peer: peer)
            } else {
                stream.append(envelope)
            }
        }
        if !stream.isEmpty { peer.enqueue(stream) }
    }

    private func startSnapshot(_ message: Message, peer: PeerOutbound) {
        guard let url = peer.currentURLs.first else {
            context.logger(peer: peer.id).warning("cannot send snapshot to peer without a valid URL")
            context.report(.snapshot(to: peer.id, succeeded: false))
            return
        }
        let transfer = SnapshotTransfer(
            message: message,
            eventLoop: group.next(),
            transport: context,
            metrics: peer.metrics
        ) { [weak self] transfer in
            self?.state.withLock { _ = $0.transfers.removeValue(forKey: ObjectIdentifier(transfer)) }
        }
        let started = state.withLock { state -> Bool in
            guard !state.lifecycle.isShutDown else { return false }
            state.transfers[ObjectIdentifier(transfer)] = transfer
            transfer.start(url: url)
            return true
        }
        if !started { context.report(.snapshot(to: peer.id, succeeded: false)) }
    }

    /// Records an accepted connection so that shutdown closes it; false once the transport is shut down.
    private func register(inbound channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let registered = state.withLock { state -> Bool in
            guard !state.lifecycle.isShutDown else { return false }
            state.inbound[key] = channel
            return true
        }
        if registered {
            channel.closeFuture.whenComplete { [weak self] _ in
                self?.state.withLock { _ = $0.inbound.removeValue(forKey: key) }
            }
        }
        return registered
    }

    private func bindError(_ error: any Error) -> PeerTransportError {
        if let error = error as? IOError, error.errnoCode == EADDRINUSE {
            return .addressInUse(host: listenHost, port: listenPort)
        }
        return .bindFailed(host: listenHost, port: listenPort, reason: "\(error)")
    }
}
