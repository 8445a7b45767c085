import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// The endpoints of one client, each with its own connection, and which of them to try first.
///
/// Reads stick to the endpoint that last answered and move on when it fails; writes go to the leader
/// when the endpoints have said which one it is, since every other member would forward them there.
final class EndpointPool: Sendable {
    struct Member: Sendable {
        let endpoint: Endpoint
        let grpc: GRPCClient<HTTP2ClientTransport.Posix>
    }

    enum Purpose {
        case read
        case write
    }

    private struct State {
        var preferred = 0
        var leader: Int?
        /// Each endpoint's member ID, once a status answer told it.
        var memberIDs: [UInt64?]
        /// The leader's member ID, as last reported.
        var leaderID: UInt64?
        var lastLeaderSearch: ContinuousClock.Instant?
    }

    let members: [Member]
    private let state: Mutex<State>

    init(members: [Member]) {
        self.members = members
        self.state = Mutex(State(memberIDs: Array(repeating: nil, count: members.count)))
    }

    var count: Int { members.count }

    /// The endpoints in the order a call should try them: the preferred one (the leader for writes), then
    /// the others in turn.
    func order(for purpose: Purpose) -> [Int] {
        let start = state.withLock { state in
            purpose == .write ? (state.leader ?? state.preferred) : state.preferred
        }
        return (0..<members.count).map { (start + $0) % members.count }
    }

    func succeeded(_ index: Int) {
        state.withLock { $0.preferred = index }
    }

    /// Moves away from an endpoint that could not be reached or lost the connection.
    func failed(_ index: Int) {
        state.withLock { state in
            if state.preferred == index { state.preferred = (index + 1) % members.count }
            if state.leader == index {
                state.leader = nil
                state.leaderID = nil
            }
        }
    }

    func forgetLeader() {
        state.withLock { state in
            state.leader = nil
            state.leaderID = nil
        }
    }

    var leader: Int? { state.withLock { $0.leader } }

    /// Whether a write should first ask the endpoints who leads: several endpoints, no leader known, and no
    /// search in the last `interval` (so that a cluster without a leader is not asked on every write).
    func shouldSearchForLeader(every interval: Duration) -> Bool {
        guard members.count > 1 else { return false }
        return state.withLock { state in
            guard state.leader == nil else { return false }
            let now = ContinuousClock.now
            if let last = state.lastLeaderSearch, now - last < interval { return false }
            state.lastLeaderSearch = now
            return true
        }
    }

    /// Records what one endpoint's status said: its own member ID and the leader it follows.
    func record(memberID: UInt64, leaderID: UInt64, at index: Int) {
        state.withLock { state in
            state.memberIDs[index] = memberID
            if leaderID != 0 { state.leaderID = leaderID }
            // The leader's own endpoint may answer after a follower named it.
            if let leaderID = state.leaderID, let leader = state.memberIDs.firstIndex(of: leaderID) {
                state.leader = leader
            }
        }
    }
}
