import GRPCCore
import Synchronization

/// Whether a call got as far as an HTTP/2 stream to a server. Before that point nothing of the request has
/// been written, so a failure then proves the request never reached a server and any call may be retried.
final class CallProgress: Sendable {
    private let opened = Atomic(false)

    func markOpened() { opened.store(true, ordering: .releasing) }

    var isOpened: Bool { opened.load(ordering: .acquiring) }
}

/// Marks the current call's ``CallProgress`` when the transport hands it a stream: gRPC runs client
/// interceptors only once the stream exists, and before the request's first byte is written.
struct CallProgressInterceptor: ClientInterceptor {
    @TaskLocal static var current: CallProgress?

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>,
        context: ClientContext,
        next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        Self.current?.markOpened()
        return try await next(request, context)
    }
}
