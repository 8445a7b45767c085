import EtcdAPI
import Foundation
import GRPCCore
import Synchronization

/// Puts written without pause to every member, as a client holding all endpoints would write, and the
/// instant the first of them issued after a given mark was acknowledged.
///
/// Only puts *issued* at or after the mark count: one issued before a kill and acknowledged after it would
/// say nothing about the cluster after the kill. A member with no leader holds a put until one is elected or
/// the put's deadline passes, so with several puts always in flight the first acknowledgement follows the
/// moment the cluster can commit again by about one round trip and one fsync.
final class FailoverWriter: Sendable {
    /// When the first counted put was acknowledged, and by which member.
    struct Acknowledgement: Sendable {
        let instant: ContinuousClock.Instant
        let member: Endpoint
    }

    private struct State {
        var mark: ContinuousClock.Instant?
        var firstAfterMark: Acknowledgement?
        var acknowledged = 0
        var failed = 0
    }

    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)
    private let putTimeout: Duration
    private let request: Etcdserverpb_PutRequest

    /// The pause after a put that failed at once (its member is down), so that a dead member is not polled
    /// in a busy loop.
    static let failurePause = Duration.milliseconds(5)

    init(putTimeout: Duration, key: String = "keel-bench/failover") {
        self.putTimeout = putTimeout
        var request = Etcdserverpb_PutRequest()
        request.key = Data(key.utf8)
        request.value = Data(repeating: UInt8(ascii: "x"), count: 64)
        self.request = request
    }

    /// Puts to `member` one after another until `stop()` or `deadline`, each with its own deadline.
    func run(_ member: MemberClient, until deadline: ContinuousClock.Instant) async {
        let clock = ContinuousClock()
        var options = CallOptions.defaults
        options.timeout = putTimeout
        options.waitForReady = false
        while !stopped.load(ordering: .relaxed), !Task.isCancelled, clock.now < deadline {
            let issued = clock.now
            do {
                _ = try await member.kv.put(request, options: options)
                let acknowledged = clock.now
                state.withLock { state in
                    state.acknowledged += 1
                    if let mark = state.mark, issued >= mark, state.firstAfterMark == nil {
                        state.firstAfterMark = Acknowledgement(instant: acknowledged, member: member.endpoint)
                    }
                }
            } catch {
                state.withLock { $0.failed += 1 }
                let spent = clock.now - issued
                if spent < Self.failurePause { try? await Task.sleep(for: Self.failurePause - spent) }
            }
        }
    }

    /// From now on, only puts issued at or after `instant` count.
    func mark(_ instant: ContinuousClock.Instant) {
        state.withLock { $0.mark = instant }
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    /// The first acknowledgement of a put issued at or after the mark, once there is one.
    var firstAfterMark: Acknowledgement? { state.withLock { $0.firstAfterMark } }

    /// Puts acknowledged so far, at any time.
    var acknowledged: Int { state.withLock { $0.acknowledged } }

    /// Puts that failed or timed out so far.
    var failed: Int { state.withLock { $0.failed } }
}
