import Logging
import PeerTransport
import Raft
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Records what a transport delivers and reports, with arrival times, for assertions from the test.
final class Recorder: Sendable {
    struct Delivery: Sendable {
        var envelope: PeerEnvelope
        var batch: Int
        var at: ContinuousClock.Instant
    }

    private struct State {
        var deliveries: [Delivery] = []
        var batches = 0
        var reports: [PeerTransportReport] = []
    }

    private let state = Mutex(State())

    func deliver(_ envelopes: [PeerEnvelope]) {
        let now = ContinuousClock.now
        state.withLock { state in
            state.batches += 1
            for envelope in envelopes {
                state.deliveries.append(Delivery(envelope: envelope, batch: state.batches, at: now))
            }
        }
    }

    func report(_ report: PeerTransportReport) {
        state.withLock { $0.reports.append(report) }
    }

    var deliveries: [Delivery] { state.withLock { $0.deliveries } }
    var count: Int { state.withLock { $0.deliveries.count } }
    var batches: Int { state.withLock { $0.batches } }
    var reports: [PeerTransportReport] { state.withLock { $0.reports } }

    func count(from sender: NodeID) -> Int {
        state.withLock { $0.deliveries.count { $0.envelope.source == sender } }
    }

    /// The entry indexes of the append messages received from `sender`, in arrival order.
    func appendIndexes(from sender: NodeID) -> [LogIndex] {
        state.withLock { state in
            state.deliveries.compactMap { delivery -> LogIndex? in
                guard case .raft(let message) = delivery.envelope, message.from == sender,
                    case .append(let previous, _, _, _) = message.kind
                else { return nil }
                return previous
            }
        }
    }
}

/// A transport on 127.0.0.1 with a recorder attached.
struct TestMember {
    let id: NodeID
    let transport: PeerTransport
    let recorder: Recorder

    var url: String { "http://127.0.0.1:\(transport.boundPort)" }

    static func start(
        id: NodeID,
        clusterID: UInt64 = 7,
        port: Int = 0,
        limits: PeerTransportLimits = PeerTransportLimits()
    ) async throws -> TestMember {
        let recorder = Recorder()
        var logger = Logger(label: "keel.peer-transport.test")
        logger.logLevel = .error
        let transport = PeerTransport(
            memberID: id,
            clusterID: clusterID,
            listenHost: "127.0.0.1",
            listenPort: port,
            logger: logger,
            limits: limits,
            deliver: { recorder.deliver($0) },
            report: { recorder.report($0) }
        )
        do {
            try await transport.start()
        } catch {
            await transport.shutdown()
            throw error
        }
        return TestMember(id: id, transport: transport, recorder: recorder)
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func eventually(
    timeout: Duration = .seconds(20),
    _ condition: () -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// A port on 127.0.0.1 with nothing listening on it: bound by a transport that is then shut down.
func closedPort() async throws -> Int {
    let member = try await TestMember.start(id: 999)
    let port = member.transport.boundPort
    await member.transport.shutdown()
    return port
}

func append(from: NodeID, to: NodeID, index: LogIndex, payload: [UInt8] = [1, 2, 3]) -> PeerEnvelope {
    .raft(
        Message(
            from: from,
            to: to,
            term: 3,
            kind: .append(
                previous: index,
                previousTerm: 3,
                entries: [Entry(term: 3, index: index + 1, data: payload)],
                commit: index
            )
        )
    )
}

func heartbeat(from: NodeID, to: NodeID, commit: LogIndex) -> PeerEnvelope {
    .raft(Message(from: from, to: to, term: 3, kind: .heartbeat(commit: commit, context: nil)))
}

/// One message of every kind, with values at the edges of their ranges.
func sampleMessages() -> [Message] {
    let big = UInt64.max
    let entries = [
        Entry(term: 1, index: 1),
        Entry(term: 2, index: 300, kind: .configChange, data: [0, 1, 2, 255]),
        Entry(term: big, index: big, data: Array(repeating: 0xAB, count: 1000)),
    ]
    let kinds: [Message.Kind] = [
        .append(previous: 0, previousTerm: 0, entries: [], commit: 0),
        .append(previous: 41, previousTerm: 3, entries: entries, commit: 40),
        .appendResponse(index: 9, rejection: nil),
        .appendResponse(index: 9, rejection: Message.Rejection(hintIndex: 5, hintTerm: 2)),
        .vote(lastIndex: 10, lastTerm: 4, preVote: false, transfer: false),
        .vote(lastIndex: big, lastTerm: big, preVote: true, transfer: true),
        .voteResponse(granted: true, preVote: false),
        .voteResponse(granted: false, preVote: true),
        .heartbeat(commit: 12, context: nil),
        .heartbeat(commit: 12, context: []),
        .heartbeat(commit: 0, context: Array("read-7".utf8)),
        .heartbeatResponse(context: nil),
        .heartbeatResponse(context: [9, 9]),
        .snapshot(Snapshot()),
        .snapshot(
            Snapshot(
                index: 100,
                term: 5,
                confState: ConfState(voters: [1, 2, 3], learners: [4, 1 << 40]),
                data: Array(0..<200).map { UInt8($0) }
            )
        ),
        .timeoutNow,
        .transferLeader(transferee: 3),
        .readIndex(context: []),
        .readIndex(context: Array("ctx".utf8)),
        .readIndexResponse(index: 77, context: [1]),
        .propose(entries: []),
        .propose(entries: entries),
    ]
    return kinds.enumerated().map { offset, kind in
        Message(from: UInt64(offset + 1), to: big - UInt64(offset), term: offset % 2 == 0 ? 0 : big, kind: kind)
    }
}

/// A deterministic generator for test data.
struct TestRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A socket on 127.0.0.1 that listens but never accepts or answers: connections to it complete in the
/// kernel and then hear nothing.
struct SilentListener: ~Copyable {
    let descriptor: Int32
    let port: Int

    init() throws {
        #if os(Linux)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw SilentListenerError(step: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else {
            close(descriptor)
            throw SilentListenerError(step: "bind")
        }
        var actual = sockaddr_in()
        var actualLength = length
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &actualLength) }
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: actual.sin_port))
    }

    deinit {
        close(descriptor)
    }
}

struct SilentListenerError: Error {
    var step: String
}
