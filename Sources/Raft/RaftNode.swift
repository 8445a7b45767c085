/// One member of a Raft group, as a pure state machine: it never performs I/O, reads a clock, starts a
/// thread or draws randomness except from its configuration's seeded generator. The same inputs give the
/// same outputs, every time.
///
/// Inputs are methods named for what happened: `tick()` (time passed), `step(_:)` (a message arrived),
/// `propose(_:)`, `readIndex(context:)`, `transferLeadership(to:)`, `persisted(through:)` (writes became
/// durable), `applied(through:)`. Outputs are collected in a `Ready` (see there for how a driver handles it).
///
/// Guarantees, given a driver that follows `Ready`'s contract: at most one leader per term; a vote is
/// counted, and an entry acknowledged, only once durable; entries are committed only by a quorum of durable
/// copies and only for the leader's own term (§5.4.2); committed entries are handed out once, in order.
///
/// Not thread-safe: a value type owned by one driver.
public struct RaftNode<Storage: RaftStorage> {
    public let id: NodeID
    let config: RaftConfiguration
    var random: SplitMix64

    var term: Term = 0
    var vote: NodeID?
    var log: RaftLog<Storage>
    var role: RaftRole = .follower
    var leader: NodeID?
    var tracker: ProgressTracker

    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    var leadTransferee: NodeID?
    /// A membership change may be proposed only once the log is applied up to here.
    var pendingConfIndex: LogIndex = 0
    var readIndexQueue = ReadIndexQueue()
    /// Read requests that arrived before this leader committed an entry of its term.
    var pendingReadIndexRequests: [(requester: NodeID, context: [UInt8])] = []
    var readStates: [ReadState] = []

    var outbox: [Message] = []
    var outboxAfterPersist: [Message] = []

    var lastReadyNumber: UInt64 = 0
    var unacknowledged: [ReadyRecord] = []
    var handedOutHardState: HardState
    var handedOutSoftState: SoftState

    /// What a Ready asked the driver to persist, remembered until it is acknowledged.
    struct ReadyRecord: Sendable {
        var number: UInt64
        var lastEntry: (index: LogIndex, term: Term)?
        var snapshotIndex: LogIndex?
        /// Messages to this member that wait for the write (its own vote).
        var selfMessages: [Message]
    }

    /// Creates a member from what `storage` holds: an initial member of a new group (storage holding
    /// `Snapshot.bootstrap` with the initial membership), a member joining a running group (empty storage:
    /// the leader sends it a snapshot), or a member restarting after a stop or crash.
    public init(configuration: RaftConfiguration, storage: Storage) {
        configuration.validate()
        id = configuration.id
        config = configuration
        random = configuration.random
        log = RaftLog(storage: storage, maxApplyingSize: configuration.maxCommittedSizePerReady)
        let (hardState, confState) = RaftLog<Storage>.fatalOnError { () throws(RaftStorageError) in
            try storage.initialState()
        }
        tracker = ProgressTracker(
            confState: confState, maxInflight: configuration.maxInflightMessages,
            maxInflightBytes: configuration.maxInflightBytes)
        handedOutHardState = hardState
        handedOutSoftState = SoftState(leader: nil, role: .follower)
        if hardState != HardState() {
            precondition(
                hardState.commit <= log.lastIndex,
                "stored commit \(hardState.commit) is beyond the stored log (\(log.lastIndex))")
            // The snapshot may be ahead of the stored commit index (taken from entries applied before it was
            // written); whatever it covers is committed.
            log.committed = max(log.committed, hardState.commit)
            term = hardState.term
            vote = hardState.vote
        }
        if configuration.applied > log.applied {
            // The application may have applied entries whose commit index was not yet stored: they were
            // committed, and durable here (only durable entries are handed out), so the commit index follows.
            precondition(
                configuration.applied <= log.lastIndex,
                "applied index \(configuration.applied) is beyond the stored log (\(log.lastIndex))")
            log.commitTo(configuration.applied)
            log.applying = configuration.applied
            log.applied = configuration.applied
        }
        becomeFollower(term: term, leader: nil)
        handedOutSoftState = softState
    }

    // MARK: State

    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    public var softState: SoftState { SoftState(leader: leader, role: role) }

    /// The membership in force here.
    public var confState: ConfState { tracker.confState }

    public var status: RaftStatus {
        RaftStatus(
            id: id, hardState: hardState, softState: softState, applied: log.applied,
            firstIndex: log.firstIndex, lastIndex: log.lastIndex, persisted: log.persisted, confState: confState,
            progress: role == .leader ? tracker.progress : [:], leadTransferee: leadTransferee)
    }

    /// The term of log entry `index`, or nil when it is compacted or beyond the end.
    public func term(at index: LogIndex) -> Term? {
        try? log.term(of: index)
    }

    /// The entries in `lo..<hi` (in memory or stored), or nil when part of the range is compacted.
    public func entries(from lo: LogIndex, to hi: LogIndex) -> [Entry]? {
        try? log.slice(lo, min(hi, log.lastIndex + 1), maxSize: .max)
    }

    var isPromotable: Bool { tracker.confState.isVoter(id) }

    // MARK: Inputs

    /// One unit of time passed.
    public mutating func tick() {
        switch role {
        case .leader: tickHeartbeat()
        case .follower, .preCandidate, .candidate: tickElection()
        }
    }

    /// Starts an election now, as if the election timer had fired.
    public mutating func campaign() {
        hup(transfer: false)
    }

    /// Proposes `data` for the log. On a follower it is forwarded to the leader. Success does not mean it
    /// will be committed: the application learns that when it appears among committed entries.
    public mutating func propose(_ data: [UInt8]) throws(RaftError) {
        try propose([Entry(term: 0, index: 0, kind: .normal, data: data)], from: id)
    }

    /// Proposes several entries at once: on a leader they are appended together and replicated in as few
    /// messages as the size limits allow (the driver's group commit). All or none are accepted.
    public mutating func propose(contentsOf batch: [[UInt8]]) throws(RaftError) {
        guard !batch.isEmpty else { return }
        try propose(batch.map { Entry(term: 0, index: 0, kind: .normal, data: $0) }, from: id)
    }

    /// Proposes a membership change; it takes effect where the entry is applied (see `applyConfigChange`).
    public mutating func proposeConfigChange(_ change: ConfigChange) throws(RaftError) {
        try propose([Entry(term: 0, index: 0, kind: .configChange, data: change.encoded)], from: id)
    }

    /// Asks for a read index: a `ReadState` with `context` appears in a later Ready once the leader has
    /// confirmed it still leads. `context` must be unique among the pending requests of the whole cluster:
    /// the leader matches requests and heartbeat answers by context alone, and ignores a context it already
    /// holds. A request can be lost (a message dropped, leadership changing): the caller times out and asks
    /// again.
    public mutating func readIndex(context: [UInt8]) throws(RaftError) {
        switch role {
        case .leader:
            handleReadIndex(from: id, context: context)
        case .follower:
            guard let leader else { throw .noLeader }
            send(Message(from: id, to: leader, term: 0, kind: .readIndex(context: context)))
        case .preCandidate, .candidate:
            throw .noLeader
        }
    }

    /// Asks the leader to hand leadership to `transferee`, which must be a voter.
    public mutating func transferLeadership(to transferee: NodeID) throws(RaftError) {
        switch role {
        case .leader:
            handleTransferLeader(to: transferee)
        case .follower:
            guard let leader else { throw .noLeader }
            send(Message(from: id, to: leader, term: 0, kind: .transferLeader(transferee: transferee)))
        case .preCandidate, .candidate:
            throw .noLeader
        }
    }

    /// The transport finished (or failed) sending a snapshot to `member`.
    public mutating func reportSnapshot(to member: NodeID, succeeded: Bool) {
        guard role == .leader, let progress = tracker[member], case .snapshot = progress.state else { return }
        if !succeeded { tracker[member]!.state = .snapshot(pendingSnapshot: 0) }
        tracker[member]!.becomeProbe()
        // Wait for the member's answer (or the next heartbeat) before sending again.
        tracker[member]!.probeSent = true
    }

    /// The transport could not reach `member`: stop pipelining to it until it answers.
    public mutating func reportUnreachable(_ member: NodeID) {
        guard role == .leader, let progress = tracker[member], progress.state == .replicate else { return }
        tracker[member]!.becomeProbe()
    }

    /// The transport saw the long-lived connection from `member` close (not one it closed itself). A leader
    /// whose process dies closes its connections at once, so when `member` leads this follower, the follower
    /// stops counting on the leader's lease and campaigns after a short random delay (one tick to half an
    /// election timeout) rather than after a whole one. With pre-vote and check-quorum this cannot depose a leader that
    /// is still alive: its other followers are still within its lease and refuse the pre-vote, and the next
    /// heartbeat makes this member a follower again, at the same term. Without both, it does nothing.
    public mutating func reportConnectionLost(from member: NodeID) {
        guard config.preVote, config.checkQuorum, role == .follower, leader == member, isPromotable else { return }
        let delay = 1 + Int(random.next(below: UInt64(max(1, config.electionTick / 2))))
        electionElapsed = max(electionElapsed, config.electionTick)
        randomizedElectionTimeout = electionElapsed + delay
    }

    /// The application has applied committed entries up to `index`.
    public mutating func applied(through index: LogIndex) {
        log.applied(through: index)
    }

    // MARK: Ready

    /// Whether `ready()` has anything for the driver.
    public var hasReady: Bool {
        softState != handedOutSoftState || hardState != handedOutHardState || !outbox.isEmpty
            || !outboxAfterPersist.isEmpty || !log.unstable.nextEntries.isEmpty || log.unstable.nextSnapshot != nil
            || log.hasNextCommittedEntries || !readStates.isEmpty
    }

    /// Hands out everything collected since the last Ready. Every Ready must be acknowledged with
    /// `persisted(through:)` once written, even one with nothing to write.
    public mutating func ready() -> Ready {
        lastReadyNumber += 1
        let entries = Array(log.unstable.nextEntries)
        let snapshot = log.unstable.nextSnapshot
        let committed = log.nextCommittedEntries()
        let hard = hardState
        let soft = softState
        var selfMessages: [Message] = []
        var persistedMessages: [Message] = []
        for message in outboxAfterPersist {
            if message.to == id { selfMessages.append(message) } else { persistedMessages.append(message) }
        }
        let ready = Ready(
            number: lastReadyNumber,
            softState: soft != handedOutSoftState ? soft : nil,
            hardState: hard != handedOutHardState ? hard : nil,
            snapshot: snapshot,
            entries: entries,
            messages: outbox,
            persistedMessages: persistedMessages,
            committedEntries: committed,
            readStates: readStates,
            mustSync: !entries.isEmpty || snapshot != nil || hard.term != handedOutHardState.term
                || hard.vote != handedOutHardState.vote)
        unacknowledged.append(
            ReadyRecord(
                number: lastReadyNumber, lastEntry: entries.last.map { ($0.index, $0.term) },
                snapshotIndex: snapshot?.index, selfMessages: selfMessages))
        log.unstable.acceptInProgress()
        if let last = committed.last { log.accept(applying: last.index) }
        if let snapshot { log.accept(applying: snapshot.index) }
        handedOutHardState = hard
        handedOutSoftState = soft
        outbox = []
        outboxAfterPersist = []
        readStates = []
        return ready
    }

    /// Every Ready numbered up to `number` has been written durably (in order). Their persisted messages
    /// may now be sent; further output appears in the next Ready.
    public mutating func persisted(through number: UInt64) {
        precondition(number <= lastReadyNumber, "acknowledging Ready #\(number) never handed out")
        while let record = unacknowledged.first, record.number <= number {
            unacknowledged.removeFirst()
            if let index = record.snapshotIndex {
                log.stableSnapshotTo(index: index)
            }
            if let last = record.lastEntry {
                log.stableTo(index: last.index, term: last.term)
                if role == .leader, tracker[id] != nil, tracker[id]!.maybeUpdate(log.persisted), maybeCommit() {
                    broadcastAppend()
                }
            }
            for message in record.selfMessages {
                step(message)
            }
        }
    }

    // MARK: Sending

    /// Queues `message`. Acknowledgements and votes wait until the state they vouch for is durable.
    mutating func send(_ message: Message) {
        switch message.kind {
        case .appendResponse, .voteResponse:
            outboxAfterPersist.append(message)
        case .append, .vote, .heartbeat, .heartbeatResponse, .snapshot, .timeoutNow, .transferLeader, .readIndex,
            .readIndexResponse, .propose:
            outbox.append(message)
        }
    }

    mutating func send(to: NodeID, _ kind: Message.Kind) {
        send(Message(from: id, to: to, term: term, kind: kind))
    }
}

extension RaftNode: Sendable where Storage: Sendable {}
