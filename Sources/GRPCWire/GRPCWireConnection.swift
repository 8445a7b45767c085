import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import SwiftProtobuf
import Synchronization

/// One plaintext HTTP/2 connection to a gRPC server, for unary calls only.
///
/// A call costs two frames written and one continuation: there is no stream channel and no task per call, and
/// no retries, deadlines, compression or metadata. Calls from any number of tasks may be in flight at once;
/// each ends exactly once, with the response's message, with an `RPCError` carrying the status the server
/// sent in its trailers, or with `unavailable` when the connection closes or the server sends GOAWAY while
/// the call is open. The connection is never re-established: once it has closed, every call fails with
/// `unavailable`. Cancelling a call's task ends it with `cancelled` and resets its stream.
public final class GRPCWireConnection: Sendable {
    /// The largest response message accepted unless `connect` is told otherwise.
    public static let defaultMaximumResponseLength = 64 << 20

    private let channel: any Channel
    private let handler: NIOLoopBound<GRPCClientConnectionHandler>
    private let authority: String
    private let allocator = ByteBufferAllocator()
    /// Names calls for cancellation, which must find a call before or after its stream exists.
    private let lastCallID = Atomic<UInt64>(0)

    private init(channel: any Channel, handler: NIOLoopBound<GRPCClientConnectionHandler>, authority: String) {
        self.channel = channel
        self.handler = handler
        self.authority = authority
    }

    /// Opens a connection to `host:port` on one of `group`'s event loops.
    public static func connect(
        host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maximumResponseLength: Int = defaultMaximumResponseLength
    ) async throws -> GRPCWireConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        GRPCClientConnectionHandler.http2Handler(),
                        GRPCClientConnectionHandler(maximumResponseLength: maximumResponseLength)
                    )
                }
            }
            .connect(host: host, port: port)
            .get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: GRPCClientConnectionHandler.self),
                eventLoop: channel.eventLoop)
        }.get()
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return GRPCWireConnection(channel: channel, handler: handler, authority: authority)
    }

    /// Calls the unary method `path` (as `/package.Service/Method`) with a serialized request and returns the
    /// serialized response.
    public func unary(path: String, request: [UInt8]) async throws -> [UInt8] {
        // Headers and framing are built on the calling thread so that the event loop only writes them.
        let headers = requestHeaders(path: path)
        let body = GRPCMessageFrame.framed(request, allocator: allocator)
        let handler = self.handler
        let eventLoop = channel.eventLoop
        let callID = lastCallID.wrappingAdd(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // A cancellation before this point has already run its handler, which found no call.
                guard !Task.isCancelled else {
                    continuation.resume(throwing: GRPCClientConnectionHandler.cancelled)
                    return
                }
                // The call starts on the loop before any later cancellation reaches it: the loop runs tasks in
                // the order they were submitted.
                if eventLoop.inEventLoop {
                    handler.value.start(callID: callID, headers: headers, body: body, continuation: continuation)
                } else {
                    eventLoop.execute {
                        handler.value.start(callID: callID, headers: headers, body: body, continuation: continuation)
                    }
                }
            }
        } onCancel: {
            eventLoop.execute { handler.value.cancel(callID: callID) }
        }
    }

    /// Calls the unary method `path` with a protobuf request and decodes its response.
    public func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ path: String, _ request: Request, as: Response.Type = Response.self
    ) async throws -> Response {
        let bytes = try await unary(path: path, request: try request.serializedBytes())
        do {
            return try Response(serializedBytes: bytes)
        } catch {
            throw RPCError(code: .internalError, message: "could not decode the response of \(path)", cause: error)
        }
    }

    /// Closes the connection; calls still open fail with `unavailable`.
    public func close() async {
        try? await channel.close()
    }

    private func requestHeaders(path: String) -> HPACKHeaders {
        var headers = HPACKHeaders()
        headers.reserveCapacity(6)
        headers.add(name: ":method", value: "POST")
        headers.add(name: ":scheme", value: "http")
        headers.add(name: ":path", value: path)
        headers.add(name: ":authority", value: authority)
        headers.add(name: "content-type", value: GRPCHeaders.contentType)
        headers.add(name: "te", value: "trailers")
        return headers
    }
}
