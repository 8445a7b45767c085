import Logging
import NIOCore
import NIOPosix
import Raft
import Synchronization

/// The long-lived connection to one peer and the bounded queue in front of it.
///
/// Guarantees: `enqueue` never blocks on I/O; envelopes leave in the order they were enqueued; while a write
/// is in flight everything enqueued meanwhile is gathered into the next write, flushed once. When the queue
/// is full, or the connection fails with envelopes waiting, those envelopes are dropped and the peer is
/// reported unreachable, at most once per back-off period. A lost connection is re-established with
/// exponential back-off for as long as the peer is configured.
final class PeerOutbound: @unchecked Sendable {
    // @unchecked: `shared` is guarded by its mutex; every other `var` is touched only on `eventLoop`.

    let id: NodeID
    let eventLoop: any EventLoop
    let metrics: PeerMetrics
    private let transport: TransportContext
    private let logger: Logger
    private let shared: Mutex<Shared>

    /// State that callers of `enqueue` and the event loop both touch.
    private struct Shared {
        var queue: [PeerEnvelope] = []
        var queuedBytes = 0
        /// True while the event loop is bound to look at the queue again without being told: a drain is
        /// scheduled, a write is in flight, or the connection is not up yet.
        var drainPending = false
        var stopped = false
        var urls: [PeerURL]
        var lastUnreachableReport: NIODeadline?
        var unreachableInterval: TimeAmount
        /// The last attempt failed and the next waits out a back-off: what is queued meanwhile waits too, so
        /// the peer is reported unreachable even when the failure found the queue empty.
        var waitingAfterFailure = false

        /// Whether an unreachable report may go out now, recording it if so.
        mutating func claimUnreachableReport() -> Bool {
            let now = NIODeadline.now()
            if let last = lastUnreachableReport, now - last < unreachableInterval { return false }
            lastUnreachableReport = now
            return true
        }
    }

    private enum Connection {
        case idle
        case connecting
        /// Connected, handshake sent, waiting for the peer to accept it; nothing else is written yet, so
        /// that envelopes are not lost on a connection the peer is about to refuse.
        case handshaking(any Channel, PeerURL)
        case connected(any Channel, PeerURL)
        case waiting(Scheduled<Void>)
        case stopped
    }

    private var connection = Connection.idle
    /// Identifies the current connection attempt, so callbacks from an older one are ignored.
    private var generation: UInt64 = 0
    private var writeInFlight = false
    private var backoff: Backoff
    private var urlCursor = 0
    private var failuresSinceAccepted = 0

    init(id: NodeID, urls: [PeerURL], eventLoop: any EventLoop, transport: TransportContext) {
        self.id = id
        self.eventLoop = eventLoop
        self.transport = transport
        self.logger = transport.logger(peer: id)
        self.metrics = PeerMetrics(member: transport.memberID, peer: id)
        self.backoff = Backoff(initial: transport.limits.initialBackoff, maximum: transport.limits.maxBackoff)
        self.shared = Mutex(Shared(urls: urls, unreachableInterval: transport.limits.initialBackoff))
    }

    /// The address a new connection to the peer would use now.
    var currentURLs: [PeerURL] {
        shared.withLock { $0.urls }
    }

    // MARK: - Called from any thread

    /// Starts connecting. Must be called once, before the event loop group shuts down.
    func start() {
        eventLoop.execute { self.connect() }
    }

    /// The peer has shown it is up (it connected to this member): a reconnection waiting out its back-off is
    /// made at once, with the back-off reset.
    func peerIsUp() {
        eventLoop.execute {
            // On the event loop, a `.waiting` connection's scheduled attempt has not run yet.
            guard case .waiting(let scheduled) = self.connection else { return }
            scheduled.cancel()
            self.backoff.reset()
            self.connect()
        }
    }

    /// Replaces the peer's addresses; a connection to an address no longer listed is closed and made again.
    func update(urls: [PeerURL]) {
        let changed = shared.withLock { shared -> Bool in
            guard !shared.stopped, shared.urls != urls else { return false }
            shared.urls = urls
            return true
        }
        guard changed else { return }
        eventLoop.execute { self.addressesChanged(urls) }
    }

    /// Queues envelopes for the peer, dropping those that do not fit.
    func enqueue(_ envelopes: [PeerEnvelope]) {
        let limits = transport.limits
        var dropped = 0
        var report = false
        shared.withLock { shared in
            guard !shared.stopped, !shared.urls.isEmpty else {
                dropped = envelopes.count
                report = !shared.stopped && shared.claimUnreachableReport()
                return
            }
            var accepted = 0
            for envelope in envelopes {
                let size = PeerFrameWriter.frameSize(envelope)
                if shared.queue.count >= limits.maxQueuedEnvelopes || shared.queuedBytes + size > limits.maxQueuedBytes
                {
                    dropped += 1
                    continue
                }
                shared.queue.append(envelope)
                shared.queuedBytes += size
                accepted += 1
            }
            if dropped > 0 || (accepted > 0 && shared.waitingAfterFailure) {
                report = shared.claimUnreachableReport()
            }
            if accepted > 0 && !shared.drainPending {
                shared.drainPending = true
                // Scheduled under the lock so that `stop()` (which takes it first) orders before any task
                // handed to a loop that is about to shut down.
                eventLoop.execute { self.drain() }
            }
        }
        if dropped > 0 {
            metrics.messagesDropped.increment(by: Int64(dropped))
            logger.debug("dropping envelopes for peer", metadata: ["count": "\(dropped)"])
        }
        if report { transport.report(.unreachable(id)) }
    }

    /// Drops everything queued, closes the connection and stops reconnecting.
    func stop() -> EventLoopFuture<Void> {
        let dropped = shared.withLock { shared -> Int in
            shared.stopped = true
            let count = shared.queue.count
            shared.queue = []
            shared.queuedBytes = 0
            return count
        }
        if dropped > 0 { metrics.messagesDropped.increment(by: Int64(dropped)) }
        return eventLoop.submit { self.stopOnLoop() }.flatMap { $0 }
    }

    // MARK: - On the event loop

    private func stopOnLoop() -> EventLoopFuture<Void> {
        let previous = connection
        connection = .stopped
        generation += 1
        switch previous {
        case .handshaking(let channel, _), .connected(let channel, _):
            logger.debug("closing connection to removed peer")
            return channel.close().recover { _ in }
        case .waiting(let task):
            task.cancel()
        case .idle, .connecting, .stopped:
            break
        }
        return eventLoop.makeSucceededVoidFuture()
    }

    private func connect() {
        eventLoop.assertInEventLoop()
        if case .stopped = connection { return }
        let urls = currentURLs
        guard !urls.isEmpty else {
            connection = .idle
            return
        }
        let url = urls[urlCursor % urls.count]
        generation += 1
        let generation = self.generation
        connection = .connecting
        let eventLoop = self.eventLoop
        ClientBootstrap(group: eventLoop)
            .connectTimeout(transport.limits.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                eventLoop.makeCompletedFuture {
                    let handler = PeerReplyHandler { reply in self.replied(reply, generation: generation) }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: url.host, port: url.port)
            .whenComplete { result in self.connectCompleted(result, url: url, generation: generation) }
    }

    private func connectCompleted(_ result: Result<any Channel, any Error>, url: PeerURL, generation: UInt64) {
        switch result {
        case .success(let channel):
            guard generation == self.generation, case .connecting = connection else {
                channel.close(promise: nil)
                return
            }
            connection = .handshaking(channel, url)
            writeInFlight = false
            channel.closeFuture.whenComplete { _ in self.connectionClosed(generation: generation) }
            var hello = channel.allocator.buffer(capacity: 5 + PeerHandshake.encodedSize)
            let handshake = PeerHandshake(
                purpose: .stream,
                clusterID: transport.clusterID,
                senderID: transport.memberID,
                receiverID: id
            )
            PeerFrameWriter.writeHandshake(handshake, into: &hello)
            metrics.bytesSent.increment(by: Int64(hello.readableBytes))
            channel.writeAndFlush(hello, promise: nil)
            // Something that accepts connections but never answers must not hold the queue forever.
            eventLoop.scheduleTask(in: transport.limits.handshakeTimeout) {
                guard generation == self.generation, case .handshaking = self.connection else { return }
                self.logger.warning("peer did not answer the handshake", metadata: ["url": "\(url)"])
                channel.close(promise: nil)
            }
        case .failure(let error):
            guard generation == self.generation, case .connecting = connection else { return }
            failuresSinceAccepted += 1
            let level: Logger.Level = failuresSinceAccepted == 1 ? .info : .debug
            logger.log(
                level: level,
                "cannot connect to peer",
                metadata: ["url": "\(url)", "error": "\(error)", "attempt": "\(failuresSinceAccepted)"]
            )
            urlCursor += 1
            connectionLost()
        }
    }

    private func replied(_ reply: PeerReplyHandler.Reply, generation: UInt64) {
        guard generation == self.generation else { return }
        let channel: any Channel
        let url: PeerURL
        switch connection {
        case .handshaking(let current, let currentURL), .connected(let current, let currentURL):
            (channel, url) = (current, currentURL)
        case .idle, .connecting, .waiting, .stopped:
            return
        }
        switch reply {
        case .accepted:
            guard case .handshaking = connection else {
                logger.warning("peer accepted the handshake twice")
                channel.close(promise: nil)
                return
            }
            connection = .connected(channel, url)
            if failuresSinceAccepted > 0 || backoff.current != backoff.initial {
                logger.info("connected to peer", metadata: ["url": "\(url)"])
            } else {
                logger.debug("connected to peer", metadata: ["url": "\(url)"])
            }
            failuresSinceAccepted = 0
            backoff.reset()
            let interval = backoff.initial
            shared.withLock { shared in
                shared.unreachableInterval = interval
                shared.waitingAfterFailure = false
            }
            drain()
        case .rejected(let reason):
            logger.warning(
                "peer refused the connection",
                metadata: ["url": "\(url)", "reason": "\(reason)", "cluster": "\(transport.clusterID)"]
            )
            channel.close(promise: nil)
        case .snapshotAck:
            logger.warning("peer sent a snapshot acknowledgement on the stream connection")
            channel.close(promise: nil)
        case .protocolError(let error):
            logger.warning("peer broke the protocol", metadata: ["url": "\(url)", "error": "\(error)"])
        }
    }

    private func connectionClosed(generation: UInt64) {
        guard generation == self.generation else { return }
        switch connection {
        case .handshaking(_, let url):
            logger.debug("connection to peer closed before the handshake was accepted", metadata: ["url": "\(url)"])
        case .connected(_, let url):
            logger.info("lost connection to peer", metadata: ["url": "\(url)"])
        case .idle, .connecting, .waiting, .stopped:
            return
        }
        writeInFlight = false
        failuresSinceAccepted += 1
        connectionLost()
    }

    private func addressesChanged(_ urls: [PeerURL]) {
        switch connection {
        case .handshaking(let channel, let url) where !urls.contains(url),
            .connected(let channel, let url) where !urls.contains(url):
            logger.info("peer address changed; reconnecting", metadata: ["urls": "\(urls)"])
            urlCursor = 0
            channel.close(promise: nil)
        case .idle:
            urlCursor = 0
            connect()
        case .handshaking, .connected, .connecting, .waiting, .stopped:
            break
        }
    }

    /// Drops what waited for the failed connection and schedules the next attempt.
    private func connectionLost() {
        let (dropped, report) = shared.withLock { shared -> (Int, Bool) in
            let count = shared.queue.count
            shared.queue = []
            shared.queuedBytes = 0
            return (count, count > 0 && shared.claimUnreachableReport())
        }
        if dropped > 0 {
            metrics.messagesDropped.increment(by: Int64(dropped))
            logger.debug("dropping envelopes for unreachable peer", metadata: ["count": "\(dropped)"])
        }
        if report { transport.report(.unreachable(id)) }

        let delay = backoff.next()
        shared.withLock { shared in
            shared.unreachableInterval = delay
            shared.waitingAfterFailure = true
        }
        metrics.reconnects.increment()
        connection = .waiting(eventLoop.scheduleTask(in: delay) { self.connect() })
    }

    /// Writes everything queued as one buffer with one flush, unless a write is already in flight.
    private func drain() {
        eventLoop.assertInEventLoop()
        guard case .connected(let channel, _) = connection, !writeInFlight else { return }
        let taken = shared.withLock { shared -> ([PeerEnvelope], Int)? in
            guard !shared.queue.isEmpty else {
                shared.drainPending = false
                return nil
            }
            defer {
                shared.queue = []
                shared.queuedBytes = 0
            }
            return (shared.queue, shared.queuedBytes)
        }
        guard let (envelopes, bytes) = taken else { return }

        var buffer = channel.allocator.buffer(capacity: bytes)
        var written = 0
        for envelope in envelopes
        where PeerFrameWriter.writeEnvelope(envelope, maxFrameSize: transport.limits.maxFrameSize, into: &buffer) {
            written += 1
        }
        if written < envelopes.count {
            metrics.messagesDropped.increment(by: Int64(envelopes.count - written))
            logger.error(
                "dropping envelopes larger than the maximum frame size",
                metadata: ["count": "\(envelopes.count - written)", "maxFrameSize": "\(transport.limits.maxFrameSize)"]
            )
        }
        guard written > 0 else {
            drain()
            return
        }
        writeInFlight = true
        let generation = self.generation
        let frames = written
        let size = buffer.readableBytes
        channel.writeAndFlush(buffer).whenComplete { result in
            guard generation == self.generation, case .connected(let channel, _) = self.connection else { return }
            self.writeInFlight = false
            switch result {
            case .success:
                self.metrics.bytesSent.increment(by: Int64(size))
                self.metrics.messagesSent.increment(by: Int64(frames))
                self.drain()
            case .failure(let error):
                self.metrics.messagesDropped.increment(by: Int64(frames))
                self.logger.debug("write to peer failed", metadata: ["error": "\(error)"])
                let report = self.shared.withLock { $0.claimUnreachableReport() }
                if report { self.transport.report(.unreachable(self.id)) }
                channel.close(promise: nil)
            }
        }
    }
}
