import GRPCCore

/// Counts every RPC that reaches grpc-swift's server by method and outcome (`keel_grpc_requests_total{method,code}`)
/// and records the time to the response head (`keel_grpc_request_duration`). Unary calls answered on the lean
/// path record the same series through `LeanUnaryMethods`.
struct RequestMetricsInterceptor: ServerInterceptor {
    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let metrics = MethodMetrics(method: context.descriptor.fullyQualifiedMethod)
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            switch response.accepted {
            case .success: metrics.record(code: nil, since: started)
            case .failure(let error): metrics.record(code: error.code, since: started)
            }
            return response
        } catch {
            metrics.record(code: (error as? RPCError)?.code ?? .unknown, since: started)
            throw error
        }
    }
}
