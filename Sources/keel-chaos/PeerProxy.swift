import Logging
import NIOCore
import NIOPosix

/// A TCP proxy in front of one member's peer port, through which every other member reaches it: the members
/// advertise the proxy's port in `--initial-cluster` and listen on their real one.
///
/// Each connection it accepts is forwarded to the member over a connection of its own. The first frame of
/// a Keel peer connection is a handshake naming the sending and the receiving member, so the proxy knows
/// which link each connection carries and applies ``LinkFaults`` to it: a cut link's connection is closed,
/// and frames are delayed or (Raft messages only) dropped whole, never cut in the middle.
final class PeerProxy: Sendable {
    let listenPort: Int
    let targetPort: Int
    private let channel: any Channel

    private init(listenPort: Int, targetPort: Int, channel: any Channel) {
        self.listenPort = listenPort
        self.targetPort = targetPort
        self.channel = channel
    }

    static func start(
        listenPort: Int, targetPort: Int, faults: LinkFaults, group: any EventLoopGroup, logger: Logger
    ) async throws -> PeerProxy {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ProxyFrontHandler(targetPort: targetPort, faults: faults, logger: logger))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: "127.0.0.1", port: listenPort).get()
            return PeerProxy(listenPort: listenPort, targetPort: targetPort, channel: channel)
        } catch {
            throw ChaosError("peer proxy cannot listen on 127.0.0.1:\(listenPort): \(error)")
        }
    }

    /// Stops accepting connections; open ones end when either side closes or a fault cuts them.
    func stop() async {
        try? await channel.close()
    }
}

/// The member-facing end of one proxied connection: reads the sender's frames, applies the link's faults,
/// and writes what passes to the connection to the receiving member.
private final class ProxyFrontHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Length, type, magic, version, purpose, cluster, sender and receiver: the handshake frame's bytes.
    private static let handshakeSize = 36
    private static let raftFrameType: UInt8 = 4

    private let targetPort: Int
    private let faults: LinkFaults
    private let logger: Logger
    private var back: (any Channel)?
    private var pendingWrites: [ByteBuffer] = []
    private var buffer: ByteBuffer?
    private var link: (sender: UInt64, receiver: UInt64, isStream: Bool)?
    private var linkID: UInt64?
    private var lastDelivery = NIODeadline.uptimeNanoseconds(0)
    private var closed = false

    init(targetPort: Int, faults: LinkFaults, logger: Logger) {
        self.targetPort = targetPort
        self.faults = faults
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        let front = context.channel
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProxyBackHandler(front: front))
                }
            }
            .connect(host: "127.0.0.1", port: targetPort)
            .whenComplete { result in
                let handler = bound.value
                switch result {
                case .success(let channel):
                    if handler.closed {
                        channel.close(promise: nil)
                        return
                    }
                    handler.back = channel
                    for data in handler.pendingWrites { channel.write(data, promise: nil) }
                    handler.pendingWrites = []
                    channel.flush()
                case .failure:
                    front.close(promise: nil)
                }
            }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        back?.close(promise: nil)
        if let linkID { faults.unregister(linkID) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var existing = buffer {
            existing.writeBuffer(&bytes)
            buffer = existing
        } else {
            buffer = bytes
        }
        guard var pending = buffer else { return }
        buffer = nil
        defer { if pending.readableBytes > 0 { buffer = pending } }
        if link == nil {
            guard pending.readableBytes >= Self.handshakeSize,
                let purpose = pending.getInteger(at: pending.readerIndex + 11, as: UInt8.self),
                let sender = pending.getInteger(at: pending.readerIndex + 20, as: UInt64.self),
                let receiver = pending.getInteger(at: pending.readerIndex + 28, as: UInt64.self),
                let handshake = pending.readSlice(length: Self.handshakeSize)
            else { return }
            link = (sender, receiver, purpose == 0)
            let front = context.channel
            linkID = faults.register(sender: sender, receiver: receiver) { front.close(promise: nil) }
            if faults.isCut(sender: sender, receiver: receiver) {
                logger.debug(
                    "peer link cut", metadata: ["sender": "\(String(sender, radix: 16))", "receiver": "\(String(receiver, radix: 16))"])
                context.close(promise: nil)
                return
            }
            forward(handshake, context: context)
        }
        guard let link else { return }
        if faults.isCut(sender: link.sender, receiver: link.receiver) {
            context.close(promise: nil)
            return
        }
        guard link.isStream else {
            // A snapshot connection: one huge frame, passed on as it comes.
            if let slice = pending.readSlice(length: pending.readableBytes) { forward(slice, context: context) }
            return
        }
        let drop = faults.current.dropProbability
        while let length = pending.getInteger(at: pending.readerIndex, as: UInt32.self),
            pending.readableBytes >= 4 + Int(length)
        {
            guard let frame = pending.readSlice(length: 4 + Int(length)) else { break }
            let type = frame.getInteger(at: frame.readerIndex + 4, as: UInt8.self)
            if type == Self.raftFrameType, drop > 0, Double.random(in: 0..<1) < drop { continue }
            forward(frame, context: context)
        }
    }

    private func forward(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        let delay = faults.current.delay
        let now = NIODeadline.now()
        if delay == .zero && lastDelivery <= now {
            send(frame)
            return
        }
        let nanos = RunClock.nanos(delay)
        // Later frames never overtake earlier ones, even when the delay shrinks meanwhile.
        var deliverAt = now + .nanoseconds(Int64(nanos))
        if deliverAt <= lastDelivery { deliverAt = lastDelivery + .nanoseconds(1) }
        lastDelivery = deliverAt
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(deadline: deliverAt) {
            bound.value.send(frame)
        }
    }

    private func send(_ frame: ByteBuffer) {
        if let back {
            back.writeAndFlush(frame, promise: nil)
        } else {
            pendingWrites.append(frame)
        }
    }
}

/// The receiving member's end of one proxied connection: its replies go back unchanged.
private final class ProxyBackHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let front: any Channel

    init(front: any Channel) {
        self.front = front
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        front.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        front.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
