import Logging
import NIOCore
import Raft
import Synchronization

/// What every connection of one transport shares: identity, limits, logging and the callbacks to the layer
/// above.
struct TransportContext: Sendable {
    let memberID: NodeID
    let cluster: ClusterIdentity
    let limits: PeerTransportLimits
    /// Carries the `member` metadata.
    let logger: Logger
    let deliver: @Sendable ([PeerEnvelope]) -> Void
    let report: @Sendable (PeerTransportReport) -> Void

    var clusterID: UInt64 { cluster.id }

    func logger(peer: NodeID) -> Logger {
        var logger = logger
        logger[metadataKey: "peer"] = "\(String(peer, radix: 16))"
        return logger
    }
}

/// The cluster id the transport presents and checks; zero until a joining member has learnt it.
final class ClusterIdentity: Sendable {
    private let value: Atomic<UInt64>

    init(_ id: UInt64) {
        value = Atomic(id)
    }

    var id: UInt64 { value.load(ordering: .acquiring) }

    func set(_ id: UInt64) {
        value.store(id, ordering: .releasing)
    }

    /// Whether a connection from a member presenting `remote` belongs to this cluster. Zero on either side
    /// stands for a member that has not learnt its cluster yet (one joining an existing cluster), which
    /// cannot be checked and is let through; any two known ids must be equal.
    func admits(_ remote: UInt64) -> Bool {
        let local = id
        return local == 0 || remote == 0 || local == remote
    }
}

/// Doubling reconnection delays between a floor and a ceiling.
struct Backoff {
    let initial: TimeAmount
    let maximum: TimeAmount
    private(set) var current: TimeAmount

    init(initial: TimeAmount, maximum: TimeAmount) {
        self.initial = initial
        self.maximum = maximum
        self.current = initial
    }

    /// The delay to wait now; the next one is twice as long, up to the ceiling.
    mutating func next() -> TimeAmount {
        let delay = current
        current = min(current * 2, maximum)
        return delay
    }

    mutating func reset() {
        current = initial
    }
}
