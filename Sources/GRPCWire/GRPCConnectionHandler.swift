import GRPCCore
import Logging
import NIOCore
import NIOHPACK
import NIOHTTP2

/// One client connection of the lean server, seen as HTTP/2 frames: no channel and no handler chain per
/// stream. A unary call to a registered `UnaryMethod` is read whole, answered (from a task of its own, or
/// straight from the event loop) and written as three frames; every other call is forwarded to `GRPCServer` through `ForwardedStreamTransport`.
///
/// All state lives on the connection's event loop. Inbound flow control is this handler's job (nio-http2
/// leaves it to a stream multiplexer, and there is none): the connection window and every stream's window
/// are topped up as their bytes are consumed.
final class GRPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// The connection window advertised on top of HTTP/2's initial 65,535 bytes, so that many concurrent
    /// requests never wait for a window update.
    static let connectionWindowSize = 1 << 24

    private let methods: [String: UnaryMethod]
    private let forwarding: ForwardedStreamTransport
    private let maximumMessageLength: Int
    private let streamWindow: Int
    private let logger: Logger

    private var streams: [HTTP2StreamID: CallState] = [:]
    private var connectionWindow = ConnectionReceiveWindow(size: connectionWindowSize)
    private var context: ChannelHandlerContext?
    /// Kept after the handler is removed, for answering writes that arrive too late.
    private var eventLoop: (any EventLoop)?
    private var flushScheduled = false
    private var quiescing = false
    /// The client has answered the PING that followed the GOAWAY.
    private var goAwaySeen = false
    private static let goAwayPing = HTTP2PingData(withInteger: 0x6B65_656C_676F_6177)
    private var closing = false
    private var remotePeer = ""
    private var localPeer = ""

    init(
        methods: [String: UnaryMethod], forwarding: ForwardedStreamTransport, maximumMessageLength: Int,
        streamWindow: Int, logger: Logger
    ) {
        self.methods = methods
        self.forwarding = forwarding
        self.maximumMessageLength = maximumMessageLength
        self.streamWindow = streamWindow
        self.logger = logger
    }

    /// What the connection knows of one call.
    private struct CallState {
        enum Kind {
            /// A unary call being read; its task once the request is whole.
            case unary(UnaryMethod, task: Task<Void, Never>?)
            case forwarded(
                AsyncThrowingStream<ForwardedInbound.Part, any Error>.Continuation, ForwardedCallCancellation)
            /// Answered already (a refused or malformed call); what the client still sends is dropped.
            case answered
        }

        var kind: Kind
        var reader: GRPCMessageReader
        var window: StreamReceiveWindow
        var requestEnded = false
        var responseStarted = false
        var responseEnded = false
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.eventLoop = context.eventLoop
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        remotePeer = Self.describe(context.channel.remoteAddress)
        localPeer = Self.describe(context.channel.localAddress)
        let increment = Self.connectionWindowSize - 65_535
        context.writeAndFlush(
            wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: increment))),
            promise: nil)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let open = streams
        streams.removeAll()
        for (_, call) in open { Self.abandon(call) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            if streams[frame.streamID] == nil {
                open(frame.streamID, headers: headers.headers, endStream: headers.endStream, context: context)
            } else if headers.endStream {
                endRequest(frame.streamID, context: context)
            }
        case .data(let data):
            let length = data.flowControlledLength
            guard case .byteBuffer(let bytes) = data.data else { return }
            receive(bytes, flowControlled: length, on: frame.streamID, endStream: data.endStream, context: context)
        case .rstStream:
            if let call = streams.removeValue(forKey: frame.streamID) { Self.abandon(call) }
        case .ping(let data, ack: true) where data == Self.goAwayPing:
            // The client has read the GOAWAY: every call it opened before that has arrived (and been refused),
            // and closing now cannot cut a refusal short.
            goAwaySeen = true
            scheduleFlush(context: context)
        default:
            break
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let window = event as? NIOHTTP2WindowUpdatedEvent, window.streamID == .rootStream,
            let size = window.inboundWindowSize, let increment = connectionWindow.changed(to: size)
        {
            writeWindowUpdate(increment, on: .rootStream, context: context)
        }
        if let closed = event as? StreamClosedEvent, let call = streams.removeValue(forKey: closed.streamID) {
            if !call.responseEnded { Self.abandon(call) }
            // Closing is left to the next turn of the loop: this event comes from inside nio-http2's handling
            // of the last frame written, which would not yet have reached the socket.
            if quiescing { scheduleFlush(context: context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A stream error concerns one stream, which nio-http2 has reset already; anything else ends the
        // connection.
        if error is NIOHTTP2Errors.StreamError { return }
        logger.debug("closing a client connection", metadata: ["error": "\(error)", "peer": "\(remotePeer)"])
        context.close(promise: nil)
    }

    // MARK: Requests

    private func open(_ streamID: HTTP2StreamID, headers: HPACKHeaders, endStream: Bool, context: ChannelHandlerContext) {
        var call = CallState(
            kind: .answered, reader: GRPCMessageReader(maximumLength: maximumMessageLength),
            window: StreamReceiveWindow(size: streamWindow))
        guard let path = headers.first(name: ":path"), let descriptor = Self.descriptor(path: path) else {
            streams[streamID] = call
            answer(streamID, Status(code: .unimplemented, message: "no method at this path"), context: context)
            return
        }
        if let contentType = headers.first(name: "content-type"), !contentType.hasPrefix(GRPCHeaders.contentType) {
            streams[streamID] = call
            answer(streamID, Status(code: .invalidArgument, message: "content-type \(contentType) is not gRPC"), context: context)
            return
        }
        if let method = methods[path] {
            call.kind = .unary(method, task: nil)
            streams[streamID] = call
        } else {
            let (parts, continuation) = AsyncThrowingStream.makeStream(of: ForwardedInbound.Part.self)
            continuation.yield(ForwardedInbound.Part(part: .metadata(GRPCHeaders.metadata(in: headers)), windowBytes: 0))
            let cancellation = ForwardedCallCancellation()
            let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
            let writer = ForwardedStreamWriter(connection: connection, streamID: streamID)
            let inbound = ForwardedInbound(parts: parts) { bytes in
                connection.eventLoop.execute { connection.value.consumed(bytes, on: streamID) }
            }
            let forwarded = ForwardedCall(
                stream: RPCStream(
                    descriptor: descriptor, inbound: RPCAsyncSequence(wrapping: inbound),
                    outbound: RPCWriter.Closable(wrapping: writer)),
                remotePeer: remotePeer, localPeer: localPeer, cancellation: cancellation)
            call.kind = .forwarded(continuation, cancellation)
            streams[streamID] = call
            if !forwarding.accept(forwarded) {
                continuation.finish()
                call.kind = .answered
                streams[streamID] = call
                answer(streamID, Status(code: .unavailable, message: "the server is shutting down"), context: context)
                return
            }
        }
        if endStream { endRequest(streamID, context: context) }
    }

    private func receive(
        _ bytes: ByteBuffer, flowControlled: Int, on streamID: HTTP2StreamID, endStream: Bool,
        context: ChannelHandlerContext
    ) {
        guard var call = streams[streamID] else { return }
        if case .forwarded = call.kind {
            // The message bytes go back to the window as the service takes the messages; padding at once.
            giveBack(flowControlled - bytes.readableBytes, on: streamID, call: &call, endStream: endStream, context: context)
        } else {
            giveBack(flowControlled, on: streamID, call: &call, endStream: endStream, context: context)
        }
        if case .answered = call.kind {
            streams[streamID] = call
            if endStream { endRequest(streamID, context: context) }
            return
        }
        call.reader.append(bytes)
        if case .forwarded(let continuation, _) = call.kind {
            do {
                while let message = try call.reader.next() {
                    let part = ForwardedInbound.Part(
                        part: .message(message), windowBytes: GRPCMessageFrame.prefixLength + message.count)
                    continuation.yield(part)
                }
            } catch {
                continuation.finish(throwing: RPCError(code: .resourceExhausted, message: "\(error)"))
                call.kind = .answered
            }
            streams[streamID] = call
        } else {
            streams[streamID] = call
            if call.reader.bufferedBytes > GRPCMessageFrame.prefixLength + maximumMessageLength {
                fail(streamID, code: .resourceExhausted, message: "request larger than \(maximumMessageLength) bytes", context: context)
                return
            }
        }
        if endStream { endRequest(streamID, context: context) }
    }

    /// Counts `bytes` as read from a stream's window, and gives the window back once half of it is.
    private func giveBack(
        _ bytes: Int, on streamID: HTTP2StreamID, call: inout CallState, endStream: Bool, context: ChannelHandlerContext
    ) {
        if endStream || bytes <= 0 { return }
        if let increment = call.window.read(bytes) { writeWindowUpdate(increment, on: streamID, context: context) }
    }

    private func writeWindowUpdate(_ increment: Int, on streamID: HTTP2StreamID, context: ChannelHandlerContext) {
        context.write(
            wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .windowUpdate(windowSizeIncrement: increment))),
            promise: nil)
        scheduleFlush(context: context)
    }

    /// A forwarded call's service has taken messages holding `bytes` of the stream's window.
    func consumed(_ bytes: Int, on streamID: HTTP2StreamID) {
        guard let context, var call = streams[streamID], !call.requestEnded else { return }
        giveBack(bytes, on: streamID, call: &call, endStream: false, context: context)
        streams[streamID] = call
    }

    private func endRequest(_ streamID: HTTP2StreamID, context: ChannelHandlerContext) {
        guard var call = streams[streamID], !call.requestEnded else { return }
        call.requestEnded = true
        streams[streamID] = call
        switch call.kind {
        case .answered:
            return
        case .forwarded(let continuation, _):
            continuation.finish()
        case .unary(let method, _):
            let request: [UInt8]
            do {
                guard let message = try call.reader.next(), call.reader.bufferedBytes == 0 else {
                    fail(streamID, code: .internalError, message: "a unary request carries exactly one message", context: context)
                    return
                }
                request = message
            } catch .compressed {
                fail(streamID, code: .unimplemented, message: "compressed requests are not supported", context: context)
                return
            } catch {
                fail(streamID, code: .resourceExhausted, message: "\(error)", context: context)
                return
            }
            let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
            switch method.handler {
            case .immediate(let body):
                body(request, UnaryReply { produce in
                    connection.eventLoop.execute { connection.value.respond(streamID, produce()) }
                })
            case .task(let body):
                let descriptor = method.descriptor
                let peers = (remotePeer, localPeer)
                let task = Task {
                    let result = await withServerContextRPCCancellationHandle { handle in
                        await body(
                            request,
                            ServerContext(descriptor: descriptor, remotePeer: peers.0, localPeer: peers.1, cancellation: handle))
                    }
                    connection.eventLoop.execute { connection.value.respond(streamID, result) }
                }
                call.kind = .unary(method, task: task)
                streams[streamID] = call
            }
        }
    }

    private func fail(_ streamID: HTTP2StreamID, code: Status.Code, message: String, context: ChannelHandlerContext) {
        guard var call = streams[streamID] else { return }
        call.kind = .answered
        streams[streamID] = call
        answer(streamID, Status(code: code, message: message), context: context)
    }

    // MARK: Responses

    private func respond(_ streamID: HTTP2StreamID, _ result: Result<[UInt8], RPCError>) {
        guard let context, let call = streams[streamID], !call.responseEnded else { return }
        switch result {
        case .success(let message):
            streams[streamID]!.responseStarted = true
            streams[streamID]!.responseEnded = true
            write(Self.responseHead, on: streamID, context: context)
            write(message, on: streamID, context: context)
            write(Self.okTrailers, endStream: true, on: streamID, context: context)
            scheduleFlush(context: context)
        case .failure(let error):
            answer(streamID, Status(code: Status.Code(error.code), message: error.message), metadata: error.metadata, context: context)
        }
    }

    private static let responseHead = GRPCHeaders.responseHead()
    private static let okTrailers = GRPCHeaders.trailers(Status(code: .ok, message: ""))

    /// Ends a call that has sent nothing yet with `status` alone.
    private func answer(
        _ streamID: HTTP2StreamID, _ status: Status, metadata: Metadata = [:], context: ChannelHandlerContext
    ) {
        streams[streamID]?.responseEnded = true
        write(GRPCHeaders.trailersOnly(status, metadata), endStream: true, on: streamID, context: context)
        scheduleFlush(context: context)
    }

    private func write(
        _ headers: HPACKHeaders, endStream: Bool = false, on streamID: HTTP2StreamID, context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>? = nil
    ) {
        context.write(
            wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .headers(.init(headers: headers, endStream: endStream)))),
            promise: promise)
    }

    private func write(
        _ message: [UInt8], on streamID: HTTP2StreamID, context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>? = nil
    ) {
        let body = GRPCMessageFrame.framed(message, allocator: context.channel.allocator)
        context.write(
            wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .data(.init(data: .byteBuffer(body))))),
            promise: promise)
    }

    /// Writes the parts a forwarded call's handler produced; the future completes when the last is written.
    /// Consecutive messages go out in one DATA frame (gRPC's framing needs no frame boundaries), which spares
    /// nio-http2 a frame, a promise and a flow-control entry per message when a watch stream sends a burst.
    func send(_ parts: [RPCResponsePart<[UInt8]>], on streamID: HTTP2StreamID) -> EventLoopFuture<Void> {
        guard let context, var call = streams[streamID], !call.responseEnded else {
            return eventLoop!.makeFailedFuture(RPCError(code: .unavailable, message: "the stream has closed"))
        }
        var frames: [HTTP2Frame.FramePayload] = []
        var messages: ByteBuffer?
        func endMessages() {
            if let body = messages { frames.append(.data(.init(data: .byteBuffer(body)))) }
            messages = nil
        }
        for part in parts {
            switch part {
            case .metadata(let metadata):
                endMessages()
                call.responseStarted = true
                frames.append(.headers(.init(headers: GRPCHeaders.responseHead(metadata))))
            case .message(let message):
                if !call.responseStarted {
                    call.responseStarted = true
                    frames.append(.headers(.init(headers: Self.responseHead)))
                }
                if messages == nil {
                    messages = context.channel.allocator.buffer(capacity: GRPCMessageFrame.framedLength(of: parts))
                }
                GRPCMessageFrame.write(message, to: &messages!)
            case .status(let status, let metadata):
                endMessages()
                let headers =
                    call.responseStarted
                    ? GRPCHeaders.trailers(status, metadata) : GRPCHeaders.trailersOnly(status, metadata)
                call.responseEnded = true
                frames.append(.headers(.init(headers: headers, endStream: true)))
            }
            if call.responseEnded { break }
        }
        endMessages()
        streams[streamID] = call
        guard let last = frames.popLast() else { return context.eventLoop.makeSucceededVoidFuture() }
        for payload in frames {
            context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: payload)), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: last)), promise: written)
        // Writers do not wait for each other, so several streams' sends may be queued on the loop: one flush
        // after them all is one system call instead of one each.
        scheduleFlush(context: context)
        return written.futureResult
    }

    /// Resets a forwarded call whose handler failed without a status.
    func reset(_ streamID: HTTP2StreamID) {
        guard let context, let call = streams.removeValue(forKey: streamID) else { return }
        Self.abandon(call)
        context.writeAndFlush(
            wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .rstStream(.internalError))), promise: nil)
    }

    // MARK: Connection

    /// Tells the client to open no more calls (GOAWAY) and closes the connection once the open calls have
    /// ended. A call the client opens before it reads the GOAWAY is refused by nio-http2 with REFUSED_STREAM,
    /// which tells the client it was not processed and may be sent again elsewhere.
    func quiesce() {
        guard let context, !quiescing else { return }
        quiescing = true
        context.write(
            wrapOutboundOut(HTTP2Frame(
                streamID: .rootStream,
                payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil))),
            promise: nil)
        // The connection may close only once the client has answered a PING sent after the GOAWAY: until
        // then a call it opened before reading the GOAWAY may still be on its way, and the client should
        // learn from its refusal, not from a closed connection, that it was not processed.
        context.write(
            wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .ping(Self.goAwayPing, ack: false))),
            promise: nil)
        scheduleFlush(context: context)
    }

    private func closeIfQuiet() {
        guard quiescing, goAwaySeen, !closing, streams.isEmpty, let context else { return }
        // Only the sending side is shut: a full close with the client's bytes still unread would reset the
        // connection, and the client could lose the last response. The client closes when it sees the end; the
        // timer covers a client that never does.
        context.flush()
        closing = true
        context.close(mode: .output, promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(2)) { [self] in
            self.context?.close(promise: nil)
        }
    }

    /// Flushes once per turn of the event loop, however many responses were written in it.
    private func scheduleFlush(context: ChannelHandlerContext) {
        if flushScheduled { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            self.context?.flush()
            closeIfQuiet()
        }
    }

    /// Ends what is still running for a call whose stream has gone.
    private static func abandon(_ call: CallState) {
        switch call.kind {
        case .unary(_, let task): task?.cancel()
        case .forwarded(let continuation, let cancellation):
            continuation.finish(throwing: RPCError(code: .cancelled, message: "the client reset the stream"))
            cancellation.cancel()
        case .answered: break
        }
    }

    private static func descriptor(path: String) -> MethodDescriptor? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        return MethodDescriptor(fullyQualifiedService: String(parts[1]), method: String(parts[2]))
    }

    private static func describe(_ address: SocketAddress?) -> String {
        guard let address else { return "unknown" }
        switch address {
        case .v4(let v4): return "ipv4:\(v4.host):\(address.port ?? 0)"
        case .v6(let v6): return "ipv6:[\(v6.host)]:\(address.port ?? 0)"
        case .unixDomainSocket: return "unix:\(address.pathname ?? "")"
        }
    }
}
