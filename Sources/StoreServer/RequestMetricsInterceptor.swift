import GRPCCore
import Metrics

/// Counts every RPC by method and outcome (`keel_grpc_requests_total{method,code}`) and records the time
/// to the response head of unary calls (`keel_grpc_request_duration`).
struct RequestMetricsInterceptor: ServerInterceptor {
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            let code: String
            switch response.accepted {
            case .success: code = "ok"
            case .failure(let error): code = "\(error.code)"
            }
            Counter(label: "keel_grpc_requests_total", dimensions: [("method", method), ("code", code)]).increment()
            let elapsed = started.duration(to: .now).components
            Timer(label: "keel_grpc_request_duration", dimensions: [("method", method)])
                .recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
            return response
        } catch {
            let code = (error as? RPCError).map { "\($0.code)" } ?? "unknown"
            Counter(label: "keel_grpc_requests_total", dimensions: [("method", method), ("code", code)]).increment()
            throw error
        }
    }
}
