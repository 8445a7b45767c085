import GRPCCore
import Metrics

/// The request metrics of one method (`keel_grpc_requests_total{method,code}` and
/// `keel_grpc_request_duration{method}`), created once so that recording a call does not look the metrics up
/// again: the same series the interceptor records for streaming calls.
final class MethodMetrics: Sendable {
    let method: String
    private let succeeded: Counter
    private let duration: Timer

    init(method: String) {
        self.method = method
        succeeded = Counter(label: "keel_grpc_requests_total", dimensions: [("method", method), ("code", "ok")])
        duration = Timer(label: "keel_grpc_request_duration", dimensions: [("method", method)])
    }

    func record(code: RPCError.Code?, since started: ContinuousClock.Instant) {
        if let code {
            Counter(label: "keel_grpc_requests_total", dimensions: [("method", method), ("code", "\(code)")]).increment()
        } else {
            succeeded.increment()
        }
        let elapsed = started.duration(to: .now).components
        duration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }
}
