import Dispatch
import Raft

/// What the Raft loop owns: the `RaftNode`, its storage, the applier, and every request waiting on the
/// log. Only the loop thread touches it, so it needs no lock.
final class RaftLoopState: @unchecked Sendable {  // reason: confined to the Raft loop thread.
    var node: RaftNode<MemberRaftStorage>
    let storage: MemberRaftStorage
    var applier: StoreApplier
    let tick: Duration

    /// This member's proposals in the log or on their way there, by sequence number.
    var proposals: [UInt64: PendingProposal] = [:]
    /// Proposals that found no leader yet; proposed again when one is known, until their deadline.
    var waitingForLeader: [PendingProposal] = []
    /// Reads not yet covered by a read-index request.
    var readsToRequest: [ReadWaiter] = []
    /// The read-index request in flight: its context, the reads it covers, and when it was sent.
    var readInFlight: (context: [UInt8], waiters: [ReadWaiter], sent: ContinuousClock.Instant)?
    /// Reads that have their read index and wait for this member to apply up to it.
    var readsWaitingForApply: [(index: LogIndex, waiters: [ReadWaiter])] = []
    /// Starts from the clock so that a restarted member does not reuse a context the leader may still hold.
    var nextReadContext = UInt64(DispatchTime.now().uptimeNanoseconds)
    /// The membership change this member proposed and waits for (at most one at a time).
    var configChange: (change: ConfigChange, pending: PendingConfigChange)?
    /// A leadership transfer being waited for.
    var transfer: (target: NodeID, deadline: ContinuousClock.Instant, completion: @Sendable (Result<Void, any Error>) -> Void)?
    /// The last leader seen, to count leader changes.
    var lastLeader: NodeID?
    /// The index of the last snapshot taken here (the log is compacted behind it).
    var snapshotIndex: LogIndex
    /// Bytes of entries appended to the log since that snapshot (or since start-up).
    var logBytesSinceSnapshot = 0
    /// When this member last asked to publish its attributes (name, client URLs) to the cluster.
    var lastPublishAttempt: ContinuousClock.Instant?
    /// Entries applied in the key-space transaction that is still open.
    var pendingApply: PendingApply?
    /// A local reader asked for the open transaction to commit.
    var commitRequested = false

    init(node: RaftNode<MemberRaftStorage>, storage: MemberRaftStorage, applier: StoreApplier, tick: Duration) {
        self.node = node
        self.storage = storage
        self.applier = applier
        self.tick = tick
        self.snapshotIndex = (try? storage.log.firstIndex()).map { $0 - 1 } ?? 0
    }
}
