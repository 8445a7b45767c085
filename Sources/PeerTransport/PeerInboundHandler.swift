import Logging
import NIOCore
import Raft

/// The acceptor's end of one peer connection: checks the handshake, then hands the envelopes it decodes to
/// the layer above, one call per read burst, in the order they arrived.
///
/// A handshake from another cluster or meant for another member is answered with a `rejected` frame and
/// the connection is closed; so is any violation of the framing protocol.
final class PeerInboundHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let transport: TransportContext
    private var logger: Logger
    private var parser: PeerFrameParser
    private var batch: [PeerEnvelope] = []
    private var handshake: PeerHandshake?
    private var metrics: InboundMetrics?
    private var bytesBeforeHandshake = 0
    private var closing = false
    private var handshakeTimer: Scheduled<Void>?

    /// Called with the sender of every accepted handshake.
    private let peerConnected: @Sendable (NodeID) -> Void

    init(transport: TransportContext, peerConnected: @escaping @Sendable (NodeID) -> Void = { _ in }) {
        self.transport = transport
        self.peerConnected = peerConnected
        self.logger = transport.logger
        self.parser = PeerFrameParser(
            role: .acceptor,
            maxFrameSize: transport.limits.maxFrameSize,
            maxSnapshotSize: transport.limits.maxSnapshotSize
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if let remote = context.channel.remoteAddress {
            logger[metadataKey: "remote"] = "\(remote)"
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        handshakeTimer = context.eventLoop.scheduleTask(in: transport.limits.handshakeTimeout) {
            let (handler, context) = bound.value
            guard handler.handshake == nil, !handler.closing else { return }
            handler.logger.warning("closing peer connection that sent no handshake")
            handler.close(context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let bytes = unwrapInboundIn(data)
        if let metrics {
            metrics.bytesReceived.increment(by: Int64(bytes.readableBytes))
        } else {
            bytesBeforeHandshake += bytes.readableBytes
        }
        parser.append(bytes)
        do {
            while !closing, let frame = try parser.next() {
                handle(frame, context: context)
            }
        } catch {
            logger.warning("closing peer connection after a protocol error", metadata: ["error": "\(error)"])
            close(context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushBatch()
    }

    func channelInactive(context: ChannelHandlerContext) {
        flushBatch()
        if parser.isInsideFrame && !closing {
            logger.debug("peer connection closed in the middle of a frame")
        }
        if !closing, let handshake, handshake.purpose == .stream {
            transport.report(.connectionLost(handshake.senderID))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("peer connection failed", metadata: ["error": "\(error)"])
        close(context)
    }

    private func handle(_ frame: PeerFrame, context: ChannelHandlerContext) {
        switch frame {
        case .handshake(let handshake):
            accept(handshake, context: context)
        case .envelope(let envelope):
            guard envelope.destination == transport.memberID else {
                logger.debug(
                    "dropping envelope addressed to another member",
                    metadata: ["to": "\(envelope.destination)"]
                )
                return
            }
            metrics?.messagesReceived.increment()
            batch.append(envelope)
        case .snapshot(let message):
            guard message.to == transport.memberID else {
                logger.warning("refusing snapshot addressed to another member", metadata: ["to": "\(message.to)"])
                close(context)
                return
            }
            flushBatch()
            metrics?.messagesReceived.increment()
            if case .snapshot(let snapshot) = message.kind {
                logger.info(
                    "received snapshot",
                    metadata: [
                        "index": "\(snapshot.index)", "term": "\(snapshot.term)", "bytes": "\(snapshot.data.count)",
                    ]
                )
            }
            transport.deliver([.raft(message)])
            var ack = context.channel.allocator.buffer(capacity: 5)
            PeerFrameWriter.writeSnapshotAck(into: &ack)
            context.writeAndFlush(wrapOutboundOut(ack), promise: nil)
        case .accepted, .rejected, .snapshotAck:
            logger.warning("closing peer connection that sent a reply frame to its acceptor")
            close(context)
        }
    }

    private func accept(_ handshake: PeerHandshake, context: ChannelHandlerContext) {
        handshakeTimer?.cancel()
        logger[metadataKey: "peer"] = "\(String(handshake.senderID, radix: 16))"
        var refusal: String?
        if !transport.cluster.admits(handshake.clusterID) {
            refusal = "cluster id \(handshake.clusterID) does not match \(transport.clusterID)"
        } else if handshake.receiverID != transport.memberID {
            refusal = "connection meant for member \(handshake.receiverID) reached member \(transport.memberID)"
        } else if handshake.senderID == 0 || handshake.senderID == transport.memberID {
            refusal = "invalid sender id \(handshake.senderID)"
        }
        if let refusal {
            logger.warning(
                "refusing peer connection",
                metadata: [
                    "reason": "\(refusal)",
                    "sender": "\(handshake.senderID)",
                    "receiver": "\(handshake.receiverID)",
                    "localCluster": "\(transport.clusterID)",
                    "remoteCluster": "\(handshake.clusterID)",
                ]
            )
            var reply = context.channel.allocator.buffer(capacity: 64 + refusal.utf8.count)
            PeerFrameWriter.writeRejected(refusal, into: &reply)
            closing = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        self.handshake = handshake
        let metrics = InboundMetrics(member: transport.memberID, peer: handshake.senderID)
        metrics.bytesReceived.increment(by: Int64(bytesBeforeHandshake))
        self.metrics = metrics
        logger.debug("accepted peer connection", metadata: ["purpose": "\(handshake.purpose)"])
        var reply = context.channel.allocator.buffer(capacity: 5)
        PeerFrameWriter.writeAccepted(into: &reply)
        context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        peerConnected(handshake.senderID)
    }

    private func flushBatch() {
        guard !batch.isEmpty else { return }
        let envelopes = batch
        batch = []
        transport.deliver(envelopes)
    }

    private func close(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        flushBatch()
        context.close(promise: nil)
    }
}
