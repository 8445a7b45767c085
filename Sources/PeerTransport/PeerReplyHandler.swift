import NIOCore

/// The initiator's end of a peer connection: reads the acceptor's replies and passes them to the owner of
/// the connection. The initiator writes its own frames directly on the channel.
final class PeerReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// What the acceptor said.
    enum Reply: Sendable {
        case accepted
        case rejected(String)
        case snapshotAck
        /// The acceptor broke the protocol; the connection is being closed.
        case protocolError(String)
    }

    private var parser: PeerFrameParser
    private let onReply: (Reply) -> Void
    private var failed = false

    init(onReply: @escaping (Reply) -> Void) {
        self.parser = PeerFrameParser(
            role: .initiator,
            maxFrameSize: PeerFrame.maxControlFrameSize,
            maxSnapshotSize: 0
        )
        self.onReply = onReply
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        parser.append(unwrapInboundIn(data))
        do {
            while let frame = try parser.next() {
                switch frame {
                case .accepted: onReply(.accepted)
                case .rejected(let reason): onReply(.rejected(reason))
                case .snapshotAck: onReply(.snapshotAck)
                case .handshake, .envelope, .snapshot:
                    throw PeerFrameError.unexpectedFrame(type: 0)
                }
            }
        } catch {
            failed = true
            onReply(.protocolError("\(error)"))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
