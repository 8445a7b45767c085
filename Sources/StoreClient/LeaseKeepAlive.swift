import EtcdAPI
import GRPCCore
import Synchronization

/// A lease kept alive in the background by ``StoreClient/keepAlive(_:)``.
///
/// It renews the lease every third of its TTL, on another endpoint when one fails, until ``cancel()`` is
/// called or the client is closed. It ends with an error when the store says the lease is gone
/// (``StoreClientError/Code/leaseNotFound``) or when no renewal got through before the TTL ran out
/// (``StoreClientError/Code/leaseExpired``).
public final class LeaseKeepAlive: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        var cancelled = false
        var lastRenewal: LeaseRenewal?
        var ended = false
        var failure: StoreClientError?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    public let lease: LeaseID
    private let state = Mutex(State())

    init(lease: LeaseID) {
        self.lease = lease
    }

    /// The most recent renewal, `nil` before the first.
    public var lastRenewal: LeaseRenewal? { state.withLock { $0.lastRenewal } }

    /// Stops renewing. The lease then lives out its TTL.
    public func cancel() {
        let task = state.withLock { state in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }

    /// Returns when the keep-alive has stopped: normally after ``cancel()`` or when the client closed,
    /// with an error when the lease was lost.
    public func wait() async throws(StoreClientError) {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.ended { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    func attach(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            state.task = task
            return state.cancelled
        }
        if cancelled { task.cancel() }
    }

    func renewed(_ renewal: LeaseRenewal) {
        state.withLock { $0.lastRenewal = renewal }
    }

    func finish(_ error: (any Error)?) {
        let waiters = state.withLock { state in
            state.ended = true
            if let error {
                state.failure =
                    error as? StoreClientError ?? StoreClientError(code: .other, message: "\(error)")
            }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension StoreClient {
    /// Keeps `lease` alive until the calling task is cancelled (then it returns) or the lease is lost (then
    /// it throws), calling `onRenewal` after every renewal. ``keepAlive(_:)`` runs this in the background.
    public func runKeepAlive(
        _ lease: LeaseID, onRenewal: @escaping @Sendable (LeaseRenewal) -> Void = { _ in }
    ) async throws(StoreClientError) {
        let tracker = KeepAliveTracker()
        var failedRounds = 0
        while true {
            if Task.isCancelled { return }
            if isClosed { return }
            if tracker.hasExpired {
                throw StoreClientError(
                    code: .leaseExpired, message: "no renewal of lease \(lease) got through before its TTL ran out")
            }
            let index = pool.order(for: .read)[0]
            let member = pool.members[index]
            let renewalsBefore = tracker.renewals
            do {
                try await keepAliveStream(lease, on: member, tracker: tracker, onRenewal: onRenewal)
                logger.debug("keep-alive stream ended", metadata: ["endpoint": "\(member.endpoint)"])
                pool.failed(index)
            } catch is LeaseGone {
                throw StoreClientError.leaseNotFound(lease)
            } catch {
                if Task.isCancelled || isClosed { return }
                let failure = error as? KeepAliveStreamFailure
                switch classify(failure?.error ?? error, endpoint: member.endpoint, opened: failure?.opened ?? true) {
                case .final(let failure) where failure.code != .cancelled:
                    throw failure
                case .final, .unreachable, .interrupted, .refused:
                    // A cancellation that is not this task's came from the connection going away.
                    logger.debug("keep-alive failing over", metadata: ["endpoint": "\(member.endpoint)"])
                    pool.failed(index)
                }
            }
            failedRounds = tracker.renewals > renewalsBefore ? 1 : failedRounds + 1
            // Try the next endpoint at once; wait only after a whole round of them failed.
            if failedRounds % pool.count == 0 {
                let delay = min(
                    configuration.retry.backoff(afterRound: failedRounds / pool.count),
                    tracker.timeLeft ?? .seconds(3600))
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
    }

    private func keepAliveStream(
        _ lease: LeaseID, on member: EndpointPool.Member, tracker: KeepAliveTracker,
        onRenewal: @escaping @Sendable (LeaseRenewal) -> Void
    ) async throws {
        var message = Etcdserverpb_LeaseKeepAliveRequest()
        message.id = lease.rawValue
        let request = message
        let progress = CallProgress()
        let options = streamOptions
        tracker.streamStarted()
        do {
            try await CallProgressInterceptor.$current.withValue(progress) {
                try await withDialTimeout(configuration.dialTimeout, progress) {
                    try await Etcdserverpb_Lease.Client(wrapping: member.grpc).leaseKeepAlive(
                        options: options,
                        requestProducer: { writer in
                            while true {
                                // A member that keeps the connection but stopped answering must not hold
                                // the lease until it expires.
                                if tracker.isStalled {
                                    throw RPCError(code: .unavailable, message: "keep-alive unanswered")
                                }
                                tracker.sent()
                                try await writer.write(request)
                                try await Task.sleep(for: tracker.interval)
                            }
                        },
                        onResponse: { response in
                            for try await message in response.messages {
                                guard message.ttl > 0 else { throw LeaseGone() }
                                tracker.renewed(ttl: message.ttl)
                                onRenewal(LeaseRenewal(message))
                            }
                        })
                }
            }
        } catch let error as LeaseGone {
            throw error
        } catch {
            throw KeepAliveStreamFailure(error: error, opened: progress.isOpened)
        }
    }
}

/// The store answered a renewal with TTL 0: the lease no longer exists.
private struct LeaseGone: Error {}

private struct KeepAliveStreamFailure: Error {
    let error: any Error
    let opened: Bool
}

/// When the lease was last renewed and when the next renewal is due.
private final class KeepAliveTracker: Sendable {
    private struct State {
        var ttl: Duration?
        var expiry: ContinuousClock.Instant?
        var oldestUnanswered: ContinuousClock.Instant?
        var renewals = 0
    }

    private let state = Mutex(State())

    /// A third of the TTL, as etcd's clients renew; half a second until the first answer tells the TTL.
    var interval: Duration {
        state.withLock { state in state.ttl.map { $0 / 3 } ?? .milliseconds(500) }
    }

    var renewals: Int { state.withLock { $0.renewals } }

    var hasExpired: Bool {
        state.withLock { state in state.expiry.map { ContinuousClock.now >= $0 } ?? false }
    }

    var timeLeft: Duration? {
        state.withLock { state in state.expiry.map { max(ContinuousClock.now.duration(to: $0), .zero) } }
    }

    /// Whether a renewal has gone unanswered for longer than a renewal interval (and at least a second).
    var isStalled: Bool {
        state.withLock { state in
            guard let since = state.oldestUnanswered else { return false }
            let limit = max(state.ttl.map { $0 / 3 } ?? .seconds(1), .seconds(1))
            return ContinuousClock.now - since > limit
        }
    }

    /// A new stream owes no answers for what was sent on the one before.
    func streamStarted() {
        state.withLock { $0.oldestUnanswered = nil }
    }

    func sent() {
        state.withLock { state in
            if state.oldestUnanswered == nil { state.oldestUnanswered = .now }
        }
    }

    func renewed(ttl seconds: Int64) {
        state.withLock { state in
            let ttl = Duration.seconds(seconds)
            // The TTL counts from when the member renewed, which is no earlier than when the request left.
            state.expiry = (state.oldestUnanswered ?? .now) + ttl
            state.ttl = ttl
            state.oldestUnanswered = nil
            state.renewals += 1
        }
    }
}
