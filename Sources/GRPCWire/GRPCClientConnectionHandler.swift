import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// The client end of gRPC unary calls on one HTTP/2 connection, fed `HTTP2Frame`s directly by a
/// `NIOHTTP2Handler` that has no stream multiplexer.
///
/// It owns the client stream ids (odd, increasing, assigned on the event loop in the order calls start), and
/// everything a multiplexer would otherwise do: it gives the peer its flow-control window back as DATA is
/// read, on the connection and on each open stream, and it ends every call exactly once: with its message
/// on an OK status, with the status of the trailers, or with an error when the stream is reset, the server
/// sends GOAWAY, or the connection closes. All its state lives on the channel's event loop.
final class GRPCClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// The flow-control window this side announces; the peer gets bytes back once half of it is read.
    static let windowSize = 65_535

    /// The HTTP/2 handler in front of this one. Its limits on the rate of control frames, RST_STREAM frames,
    /// stream errors and glitches guard against a hostile peer; they are lifted because a client trusts its
    /// server, and the defaults break connections to healthy ones: grpc-go (etcd) sends a PING for
    /// bandwidth estimation with nearly every call that comes alone, and 200 in 30 s would close the connection.
    static func http2Handler() -> NIOHTTP2Handler {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .initialWindowSize, value: windowSize),
            HTTP2Setting(parameter: .maxHeaderListSize, value: HPACKDecoder.defaultMaxHeaderListSize),
        ]
        // The rate limiters keep a timestamp per frame within their window: a short window keeps them small.
        connection.controlFrameRateLimit.maximumCount = 1_000
        connection.controlFrameRateLimit.windowLength = .milliseconds(1)
        connection.maximumConnectionGlitches = Int.max
        var stream = NIOHTTP2Handler.StreamConfiguration()
        stream.streamResetFrameRateLimit.maximumCount = 1_000
        stream.streamResetFrameRateLimit.windowLength = .milliseconds(1)
        stream.streamErrorRateLimit.maximumCount = 1_000
        stream.streamErrorRateLimit.windowLength = .milliseconds(1)
        return NIOHTTP2Handler(mode: .client, connectionConfiguration: connection, streamConfiguration: stream)
    }

    private struct Call {
        let id: UInt64
        let continuation: CheckedContinuation<[UInt8], any Error>
        var reader: GRPCMessageReader
        var message: [UInt8]?
        var window = StreamReceiveWindow(size: GRPCClientConnectionHandler.windowSize)
    }

    private let maximumResponseLength: Int
    private var context: ChannelHandlerContext?
    private var calls: [HTTP2StreamID: Call] = [:]
    private var nextStreamID: Int32 = 1
    /// Why new calls are refused, once the connection is closing or closed.
    private var refusal: RPCError?
    private var connectionWindow = ConnectionReceiveWindow(size: windowSize)
    private var flushScheduled = false

    init(maximumResponseLength: Int) {
        self.maximumResponseLength = maximumResponseLength
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Starting calls

    /// Opens a stream and writes the request on it: `headers`, then `body` (a framed message) ending the
    /// stream. On the event loop only.
    func start(
        callID: UInt64, headers: HPACKHeaders, body: ByteBuffer, continuation: CheckedContinuation<[UInt8], any Error>
    ) {
        guard let context, refusal == nil else {
            continuation.resume(throwing: refusal ?? Self.unavailable("the connection is not open"))
            return
        }
        guard nextStreamID < Int32.max else {
            refusal = Self.unavailable("the connection has used up its stream ids")
            continuation.resume(throwing: refusal!)
            return
        }
        let streamID = HTTP2StreamID(nextStreamID)
        nextStreamID += 2
        // Registered before writing: a write that fails reports its stream's error synchronously.
        calls[streamID] = Call(
            id: callID, continuation: continuation, reader: GRPCMessageReader(maximumLength: maximumResponseLength))
        let head = HTTP2Frame.FramePayload.Headers(headers: headers)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .headers(head))), promise: nil)
        let data = HTTP2Frame.FramePayload.Data(data: .byteBuffer(body), endStream: true)
        context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .data(data))), promise: nil)
        scheduleFlush(context)
    }

    /// Ends call `callID` with `cancelled` if it is still open. Cancellations are rare enough for a search.
    func cancel(callID: UInt64) {
        guard let streamID = calls.first(where: { $0.value.id == callID })?.key else { return }
        abandon(streamID, error: Self.cancelled)
    }

    static let cancelled = RPCError(code: .cancelled, message: "the call was cancelled")

    /// One flush for everything written in this event-loop tick: calls started from many tasks at once leave
    /// in as few writes to the socket as the loop can manage.
    private func scheduleFlush(_ context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            self.context?.flush()
        }
    }

    // MARK: Reading responses

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            received(headers, on: frame.streamID)
        case .data(let data):
            received(data, on: frame.streamID, context: context)
        case .goAway(let lastStreamID, let errorCode, _):
            receivedGoAway(lastStreamID: lastStreamID, errorCode: errorCode)
        default:
            // RST_STREAM ends a call through the StreamClosedEvent that follows it; SETTINGS and PING are
            // answered by the HTTP/2 handler.
            break
        }
    }

    private func received(_ frame: HTTP2Frame.FramePayload.Headers, on streamID: HTTP2StreamID) {
        guard calls[streamID] != nil else { return }
        let headers = frame.headers
        if frame.endStream {
            // Trailers, or a trailers-only response that fails before any message.
            let status = GRPCHeaders.status(in: headers) ?? Self.statusWithoutGRPCStatus(headers)
            finish(streamID, status: status, metadata: status.code == .ok ? [:] : GRPCHeaders.metadata(in: headers))
        } else if let httpStatus = headers.first(name: ":status"), httpStatus != "200" {
            // Not a gRPC response: the stream is reset so that the server sends no more of it.
            let status = Status(httpStatusCode: Int(httpStatus) ?? 0)
            abandon(streamID, error: RPCError(status: status) ?? RPCError(code: .unknown, message: status.message))
        }
    }

    private func received(
        _ frame: HTTP2Frame.FramePayload.Data, on streamID: HTTP2StreamID, context: ChannelHandlerContext
    ) {
        guard case .byteBuffer(let bytes) = frame.data, let index = calls.index(forKey: streamID) else { return }
        let length = frame.flowControlledLength
        calls.values[index].reader.append(bytes)
        do {
            while let message = try calls.values[index].reader.next() {
                guard calls.values[index].message == nil else {
                    let error = RPCError(code: .internalError, message: "a unary response had two messages")
                    abandon(streamID, error: error)
                    return
                }
                calls.values[index].message = message
            }
        } catch {
            abandon(streamID, error: RPCError(code: .resourceExhausted, message: error.description))
            return
        }
        if frame.endStream {
            finish(streamID, status: Status(code: .internalError, message: "the response ended without trailers"))
            return
        }
        if let increment = calls.values[index].window.read(length) {
            giveBackWindow(increment, on: streamID, context: context)
        }
    }

    private func giveBackWindow(_ bytes: Int, on streamID: HTTP2StreamID, context: ChannelHandlerContext) {
        let frame = HTTP2Frame(streamID: streamID, payload: .windowUpdate(windowSizeIncrement: bytes))
        context.write(wrapOutboundOut(frame), promise: nil)
        scheduleFlush(context)
    }

    private func receivedGoAway(lastStreamID: HTTP2StreamID, errorCode: HTTP2ErrorCode) {
        refusal = Self.unavailable("the server sent GOAWAY (\(errorCode))")
        // Streams above the last one the server names were never processed; the others may still finish.
        for streamID in calls.keys where streamID > lastStreamID {
            fail(streamID, error: refusal!)
        }
    }

    // MARK: Ends of streams and of the connection

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let closed as StreamClosedEvent where calls[closed.streamID] != nil:
            // A stream closed before its trailers arrived: reset by either side, or cut off by GOAWAY.
            fail(closed.streamID, error: Self.error(forReset: closed.reason))
        case let window as NIOHTTP2WindowUpdatedEvent where window.streamID == .rootStream:
            if let size = window.inboundWindowSize, let increment = connectionWindow.changed(to: size) {
                giveBackWindow(increment, on: .rootStream, context: context)
            }
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let streamError = error as? NIOHTTP2Errors.StreamError {
            let error = RPCError(code: .internalError, message: "HTTP/2 stream error", cause: streamError.baseError)
            fail(streamError.streamID, error: error)
            return
        }
        // Anything else is the connection's: it goes, and its calls with it.
        failAll(Self.unavailable("the connection failed: \(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(Self.unavailable("the connection closed"))
        context.fireChannelInactive()
    }

    private func failAll(_ error: RPCError) {
        if refusal == nil { refusal = error }
        let open = calls
        calls = [:]
        for call in open.values { call.continuation.resume(throwing: error) }
    }

    private func finish(_ streamID: HTTP2StreamID, status: Status, metadata: Metadata = [:]) {
        guard let call = calls.removeValue(forKey: streamID) else { return }
        if let error = RPCError(status: status, metadata: metadata) {
            call.continuation.resume(throwing: error)
        } else if let message = call.message {
            call.continuation.resume(returning: message)
        } else {
            call.continuation.resume(
                throwing: RPCError(code: .internalError, message: "a unary response had no message"))
        }
    }

    private func fail(_ streamID: HTTP2StreamID, error: RPCError) {
        calls.removeValue(forKey: streamID)?.continuation.resume(throwing: error)
    }

    /// Ends a call whose stream the server has not ended, and resets the stream.
    private func abandon(_ streamID: HTTP2StreamID, error: RPCError) {
        fail(streamID, error: error)
        guard let context else { return }
        context.write(wrapOutboundOut(HTTP2Frame(streamID: streamID, payload: .rstStream(.cancel))), promise: nil)
        scheduleFlush(context)
    }

    // MARK: Statuses

    private static func unavailable(_ message: String) -> RPCError {
        RPCError(code: .unavailable, message: message)
    }

    /// The status of trailers that lack `grpc-status`: from the HTTP status when it is not 200, as gRPC maps
    /// them, else an internal error.
    private static func statusWithoutGRPCStatus(_ headers: HPACKHeaders) -> Status {
        if let httpStatus = headers.first(name: ":status").flatMap({ Int($0) }), httpStatus != 200 {
            return Status(httpStatusCode: httpStatus)
        }
        return Status(code: .internalError, message: "the response's trailers carry no grpc-status")
    }

    /// The error of a call whose stream closed before its trailers, by the HTTP/2 error code, as gRPC maps them.
    private static func error(forReset reason: HTTP2ErrorCode?) -> RPCError {
        let message = "the stream was closed before its trailers (\(reason.map { "\($0)" } ?? "no error code"))"
        switch reason {
        case .refusedStream?: return RPCError(code: .unavailable, message: message)
        case .cancel?: return RPCError(code: .cancelled, message: message)
        case .enhanceYourCalm?: return RPCError(code: .resourceExhausted, message: message)
        case .inadequateSecurity?: return RPCError(code: .permissionDenied, message: message)
        default: return RPCError(code: .internalError, message: message)
        }
    }
}
