import Synchronization

/// The faults the peer proxies apply to the links between members, and the connections they carry.
///
/// A link is the traffic from one member (the sender) to another (the receiver): Keel's peer connections
/// each carry one direction, and the handshake that opens them names both ends. A member in `isolated` has
/// every link to and from the others cut: its open connections are closed at once and new ones are closed
/// as soon as their handshake names it. Delay and drop apply to every link.
final class LinkFaults: Sendable {
    struct Settings: Sendable, Equatable {
        /// Members cut off from every other member, both ways.
        var isolated: Set<UInt64> = []
        /// Added to the delivery of every frame.
        var delay: Duration = .zero
        /// The chance that one Raft message frame is dropped (Raft tolerates lost messages; other frames are
        /// never dropped, since they carry requests whose loss only times out).
        var dropProbability: Double = 0
    }

    private struct Link {
        var sender: UInt64
        var receiver: UInt64
        var close: @Sendable () -> Void
    }

    private let settings = Mutex(Settings())
    private let links = Mutex<[UInt64: Link]>([:])
    private let nextLinkID = Atomic<UInt64>(0)

    var current: Settings { settings.withLock { $0 } }

    func isCut(sender: UInt64, receiver: UInt64) -> Bool {
        settings.withLock { settings in
            sender != receiver && (settings.isolated.contains(sender) || settings.isolated.contains(receiver))
        }
    }

    /// Cuts `members` off from the others, both ways, closing the connections between them.
    func isolate(_ members: Set<UInt64>) {
        settings.withLock { $0.isolated = members }
        let doomed = links.withLock { links in
            links.values.filter { members.contains($0.sender) || members.contains($0.receiver) }
        }
        for link in doomed { link.close() }
    }

    func setDelay(_ delay: Duration) {
        settings.withLock { $0.delay = delay }
    }

    func setDropProbability(_ probability: Double) {
        settings.withLock { $0.dropProbability = probability }
    }

    /// Removes every fault.
    func heal() {
        settings.withLock { $0 = Settings() }
    }

    /// Registers an open connection; returns the number to unregister it with.
    func register(sender: UInt64, receiver: UInt64, close: @escaping @Sendable () -> Void) -> UInt64 {
        let id = nextLinkID.wrappingAdd(1, ordering: .relaxed).newValue
        links.withLock { $0[id] = Link(sender: sender, receiver: receiver, close: close) }
        return id
    }

    func unregister(_ id: UInt64) {
        _ = links.withLock { $0.removeValue(forKey: id) }
    }
}
