import GRPCCore
import Synchronization

/// The calls the lean server does not answer itself (streaming calls, and unary methods it has no
/// `UnaryMethod` for), handed to grpc-swift's `GRPCServer` as if they came from a transport of its own.
///
/// Every call accepted before `beginGracefulShutdown()` is run to its end; `listen` returns once the last has
/// ended.
public final class ForwardedStreamTransport: ServerTransport, Sendable {
    public typealias Bytes = [UInt8]

    private let incoming: AsyncStream<ForwardedCall>
    private let continuation: AsyncStream<ForwardedCall>.Continuation

    public init() {
        (incoming, continuation) = AsyncStream.makeStream(of: ForwardedCall.self)
    }

    public func listen(
        streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
    ) async throws {
        await withDiscardingTaskGroup { group in
            for await call in incoming {
                group.addTask {
                    await withServerContextRPCCancellationHandle { handle in
                        call.cancellation.attach(handle)
                        let context = ServerContext(
                            descriptor: call.stream.descriptor, remotePeer: call.remotePeer,
                            localPeer: call.localPeer, cancellation: handle)
                        await streamHandler(call.stream, context)
                    }
                }
            }
        }
    }

    public func beginGracefulShutdown() {
        continuation.finish()
    }

    /// Hands a call over; false when the transport no longer takes calls.
    func accept(_ call: ForwardedCall) -> Bool {
        if case .enqueued = continuation.yield(call) { return true }
        return false
    }
}

/// One call on its way from a connection to `GRPCServer`.
struct ForwardedCall: Sendable {
    var stream: RPCStream<ForwardedStreamTransport.Inbound, ForwardedStreamTransport.Outbound>
    var remotePeer: String
    var localPeer: String
    var cancellation: ForwardedCallCancellation
}

/// Cancels a forwarded call's handler when its stream is reset, whether that happens before or after the
/// handler has started.
final class ForwardedCallCancellation: Sendable {
    private let state = Mutex<(handle: ServerContext.RPCCancellationHandle?, cancelled: Bool)>((nil, false))

    func attach(_ handle: ServerContext.RPCCancellationHandle) {
        let cancelled = state.withLock { state in
            state.handle = handle
            return state.cancelled
        }
        if cancelled { handle.cancel() }
    }

    func cancel() {
        let handle = state.withLock { state in
            state.cancelled = true
            return state.handle
        }
        handle?.cancel()
    }
}
