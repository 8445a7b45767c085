import GRPCCore
import GRPCNIOTransportHTTP2

/// The connection of one endpoint, for calls this client does not wrap.
public typealias EndpointConnection = GRPCClient<HTTP2ClientTransport.Posix>

extension StoreClient {
    /// Whether a request may be sent again after a failure that does not say whether it was applied.
    public enum Idempotency: Sendable {
        /// Reads and other requests with no effect, or whose repetition has the same effect.
        case safe
        /// Writes: repeated only when they certainly never reached a server.
        case unsafe
    }

    /// Options for one attempt of a unary request.
    var unaryOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = configuration.requestTimeout
        options.waitForReady = false
        // The HTTP/2 transport applies its "request" limit to the messages it receives; requests are checked
        // against `maxRequestBytes` before they are sent.
        options.maxRequestMessageBytes = configuration.maxResponseBytes
        options.maxResponseMessageBytes = configuration.maxResponseBytes
        return options
    }

    /// Options for streams that last as long as their consumer wants (watch, keep-alive).
    var streamOptions: CallOptions {
        var options = unaryOptions
        options.timeout = nil
        return options
    }

    /// Runs `body` against one endpoint after another, with the same failover and retry rules as the
    /// client's own requests: the raw generated clients (`Etcdserverpb_KV.Client(wrapping:)`, …) can be used
    /// for what this client does not cover. `options` carries the request timeout and message limits.
    public func withConnection<Result: Sendable>(
        _ idempotency: Idempotency,
        _ body: @escaping @Sendable (EndpointConnection, CallOptions) async throws -> Result
    ) async throws(StoreClientError) -> Result {
        try await perform(idempotency) { connection, options, _ in try await body(connection, options) }
    }

    func perform<Result: Sendable>(
        _ idempotency: Idempotency,
        _ body: @escaping @Sendable (EndpointConnection, CallOptions, Endpoint) async throws -> Result
    ) async throws(StoreClientError) -> Result {
        guard !isClosed else { throw StoreClientError.closedClient }
        if idempotency == .unsafe, pool.shouldSearchForLeader(every: .seconds(1)) {
            await searchForLeader()
        }
        let order = pool.order(for: idempotency == .unsafe ? .write : .read)
        let attempts = max(configuration.retry.maxAttempts, order.count)
        let options = unaryOptions
        var lastError = StoreClientError(code: .unavailable, message: "no endpoint could be reached")
        for attempt in 0..<attempts {
            if attempt > 0, attempt % order.count == 0 {
                do {
                    try await Task.sleep(for: configuration.retry.backoff(afterRound: attempt / order.count))
                } catch {
                    throw StoreClientError(code: .cancelled, message: "the request was cancelled")
                }
            }
            let index = order[attempt % order.count]
            let member = pool.members[index]
            let progress = CallProgress()
            do {
                let result = try await CallProgressInterceptor.$current.withValue(progress) {
                    try await withDialTimeout(configuration.dialTimeout, progress) {
                        try await body(member.grpc, options, member.endpoint)
                    }
                }
                pool.succeeded(index)
                return result
            } catch {
                let kind = classify(error, endpoint: member.endpoint, opened: progress.isOpened)
                if [.notLeader, .leaderChanged, .noLeader].contains(kind.failure.code) {
                    pool.forgetLeader()
                }
                switch kind {
                case .final(let failure):
                    throw failure
                case .unreachable(let failure):
                    logger.debug("endpoint unreachable", metadata: ["endpoint": "\(member.endpoint)"])
                    pool.failed(index)
                    lastError = failure
                case .interrupted(let failure):
                    pool.failed(index)
                    guard idempotency == .safe else {
                        throw StoreClientError(
                            code: .outcomeUnknown,
                            message: "the request may have been applied: \(failure.message)",
                            rpcError: failure.rpcError, endpoint: member.endpoint)
                    }
                    lastError = failure
                case .refused(let failure):
                    // The member answered that it cannot serve now (no leader, stopping). Some of these
                    // answers come after a write was proposed, so a write is not repeated, as with etcd's clients.
                    pool.failed(index)
                    guard idempotency == .safe else { throw failure }
                    lastError = failure
                }
            }
        }
        throw lastError
    }

    enum FailureKind {
        /// The server's answer, or a failure retrying cannot help: pass it on.
        case final(StoreClientError)
        /// No stream to the server was ever opened: the request was not sent.
        case unreachable(StoreClientError)
        /// The connection failed or timed out after the request may have been sent.
        case interrupted(StoreClientError)
        /// The member said it cannot serve now.
        case refused(StoreClientError)

        var failure: StoreClientError {
            switch self {
            case .final(let failure), .unreachable(let failure), .interrupted(let failure), .refused(let failure):
                return failure
            }
        }
    }

    func classify(_ error: any Error, endpoint: Endpoint, opened: Bool) -> FailureKind {
        if Task.isCancelled || error is CancellationError {
            return .final(StoreClientError(code: .cancelled, message: "the request was cancelled", endpoint: endpoint))
        }
        if isClosed { return .final(StoreClientError.closedClient) }
        if !opened {
            let rpcError = error as? RPCError
            return .unreachable(
                StoreClientError(
                    code: .unavailable, message: rpcError?.message ?? "no connection within the dial timeout",
                    rpcError: rpcError, endpoint: endpoint))
        }
        guard let rpcError = error as? RPCError else {
            if let error = error as? StoreClientError { return .final(error) }
            return .final(StoreClientError(code: .other, message: "\(error)", endpoint: endpoint))
        }
        let failure = StoreClientError(rpcError, endpoint: endpoint)
        switch rpcError.code {
        case .unavailable where rpcError.message.hasPrefix("etcdserver:"):
            return .refused(failure)
        case .unavailable, .cancelled, .deadlineExceeded:
            return .interrupted(failure)
        default:
            return .final(failure)
        }
    }
}

/// Runs `body`, giving up after `timeout` if it has not yet opened a stream to a server by then: the HTTP/2
/// transport has no connect timeout of its own, and an endpoint that drops packets would hold a call for
/// as long as TCP retries.
func withDialTimeout<Result: Sendable>(
    _ timeout: Duration, _ progress: CallProgress, _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            if !progress.isOpened {
                throw RPCError(code: .unavailable, message: "no connection within the dial timeout")
            }
            return nil
        }
        while let outcome = try await group.next() {
            if let outcome {
                group.cancelAll()
                return outcome
            }
        }
        preconditionFailure("the call's task ended without a result")
    }
}
