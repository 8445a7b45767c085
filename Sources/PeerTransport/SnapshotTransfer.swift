import Logging
import NIOCore
import NIOPosix
import Raft

/// Sends one snapshot on a connection of its own, so that it never delays the messages on the peer's
/// stream connection.
///
/// The data is copied into the connection a chunk at a time, each chunk written once the previous one has
/// left, so memory stays bounded by one chunk beyond the snapshot itself. The transfer succeeds when the
/// receiver acknowledges that it delivered the snapshot, and fails on any connection error, a refused
/// handshake, or no progress within the stall timeout. Exactly one `.snapshot(to:succeeded:)` report
/// follows `start`.
final class SnapshotTransfer: @unchecked Sendable {
    // @unchecked: every `var` is touched only on `eventLoop`.

    let peer: NodeID
    let eventLoop: any EventLoop
    private let message: Message
    private let data: [UInt8]
    private let transport: TransportContext
    private let metrics: PeerMetrics
    private let logger: Logger
    private let finished: @Sendable (SnapshotTransfer) -> Void

    private var channel: (any Channel)?
    private var offset = 0
    private var done = false
    private var lastProgress = NIODeadline.now()
    private var watchdog: RepeatedTask?

    init(
        message: Message,
        eventLoop: any EventLoop,
        transport: TransportContext,
        metrics: PeerMetrics,
        finished: @escaping @Sendable (SnapshotTransfer) -> Void
    ) {
        self.peer = message.to
        self.message = message
        if case .snapshot(let snapshot) = message.kind {
            self.data = snapshot.data
        } else {
            self.data = []
        }
        self.eventLoop = eventLoop
        self.transport = transport
        self.metrics = metrics
        var logger = transport.logger(peer: message.to)
        if case .snapshot(let snapshot) = message.kind {
            logger[metadataKey: "snapshotIndex"] = "\(snapshot.index)"
        }
        self.logger = logger
        self.finished = finished
    }

    /// Connects to `url` and sends the snapshot. Call once, before the event loop group shuts down.
    func start(url: PeerURL) {
        eventLoop.execute { self.connect(url) }
    }

    /// Abandons the transfer, reporting failure unless it has already finished.
    func cancel() -> EventLoopFuture<Void> {
        eventLoop.submit { self.finish(succeeded: false, reason: "transport shut down") }
    }

    private func connect(_ url: PeerURL) {
        guard !done else { return }
        lastProgress = .now()
        let stallTimeout = transport.limits.snapshotStallTimeout
        let checkEvery = TimeAmount.nanoseconds(max(stallTimeout.nanoseconds / 4, 1_000_000))
        watchdog = eventLoop.scheduleRepeatedTask(initialDelay: checkEvery, delay: checkEvery) { _ in
            if !self.done && NIODeadline.now() - self.lastProgress > stallTimeout {
                self.finish(succeeded: false, reason: "no progress for \(stallTimeout)")
            }
        }
        let eventLoop = self.eventLoop
        ClientBootstrap(group: eventLoop)
            .connectTimeout(transport.limits.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PeerReplyHandler { reply in self.replied(reply) })
                }
            }
            .connect(host: url.host, port: url.port)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.connected(channel)
                case .failure(let error):
                    self.finish(succeeded: false, reason: "cannot connect to \(url): \(error)")
                }
            }
    }

    private func connected(_ channel: any Channel) {
        guard !done else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        channel.closeFuture.whenComplete { _ in
            self.finish(succeeded: false, reason: "connection closed before the snapshot was acknowledged")
        }
        guard case .snapshot(let snapshot) = message.kind else {
            preconditionFailure("a snapshot transfer carries a snapshot message")
        }
        var header = channel.allocator.buffer(capacity: 256)
        let handshake = PeerHandshake(
            purpose: .snapshot,
            clusterID: transport.clusterID,
            senderID: transport.memberID,
            receiverID: peer
        )
        PeerFrameWriter.writeHandshake(handshake, into: &header)
        PeerFrameWriter.writeSnapshotHeader(message, snapshot, into: &header)
        logger.info("sending snapshot", metadata: ["bytes": "\(data.count)"])
        write(header, on: channel)
    }

    private func write(_ buffer: ByteBuffer, on channel: any Channel) {
        let size = buffer.readableBytes
        channel.writeAndFlush(buffer).whenComplete { result in
            switch result {
            case .success:
                self.metrics.bytesSent.increment(by: Int64(size))
                self.lastProgress = .now()
                self.writeNextChunk(on: channel)
            case .failure(let error):
                self.finish(succeeded: false, reason: "write failed: \(error)")
            }
        }
    }

    private func writeNextChunk(on channel: any Channel) {
        guard !done, offset < data.count else { return }
        let count = min(transport.limits.snapshotChunkSize, data.count - offset)
        var chunk = channel.allocator.buffer(capacity: count)
        chunk.writeBytes(data[offset..<offset + count])
        offset += count
        write(chunk, on: channel)
    }

    private func replied(_ reply: PeerReplyHandler.Reply) {
        switch reply {
        case .accepted:
            break
        case .snapshotAck:
            if offset == data.count {
                finish(succeeded: true, reason: nil)
            } else {
                finish(succeeded: false, reason: "acknowledged before it was fully sent")
            }
        case .rejected(let reason):
            finish(succeeded: false, reason: "peer refused the connection: \(reason)")
        case .protocolError(let error):
            finish(succeeded: false, reason: "peer broke the protocol: \(error)")
        }
    }

    private func finish(succeeded: Bool, reason: String?) {
        guard !done else { return }
        done = true
        watchdog?.cancel()
        channel?.close(promise: nil)
        if succeeded {
            metrics.snapshotsSucceeded.increment()
            metrics.messagesSent.increment()
            logger.info("snapshot delivered", metadata: ["bytes": "\(data.count)"])
        } else {
            metrics.snapshotsFailed.increment()
            metrics.messagesDropped.increment()
            logger.warning("snapshot transfer failed", metadata: ["reason": "\(reason ?? "unknown")"])
        }
        transport.report(.snapshot(to: peer, succeeded: succeeded))
        finished(self)
    }
}
