import Foundation
import LMDB
import Logging
import MVCC
import Metrics
import NIOPosix
import PeerTransport
import Raft
import RaftLog
import Synchronization

/// One store member: a Raft group member whose state machine is the key space, with its watchers and leases.
///
/// Guarantees:
/// - Every write is a `WriteRequest` carried by one Raft log entry and applied by every member in log order,
///   by one thread (the Raft loop). A write is acknowledged only once a quorum holds its entry durably and
///   this member has applied it, so an acknowledged write survives a SIGKILL of any minority of members at
///   any instant.
/// - Entries are saved (and synced) in the member's write-ahead log before they are acknowledged, then applied
///   in the same LMDB transaction as the applied index (consistent index), so no entry is applied twice, or
///   skipped, across a crash.
/// - Requests arriving while a batch is being written form the next batch: one log sync per batch.
/// - A write to the key space (put, delete, txn) is answered once it is applied inside the batch's LMDB
///   transaction, before that transaction's sync; reads see it once the transaction commits.
/// - Linearizable reads (`linearizableBarrier()`) wait for a read index confirmed by the leader, then for this
///   member to apply (and commit) up to it. Serializable reads are answered from local state, after
///   `awaitAnsweredWrites()`: a read that follows a write's answer on the same member sees that write.
/// - Watchers see a revision only after it is durable, in revision order, on every member.
public final class StoreMember: Sendable {
    public let configuration: StoreConfiguration
    public let mvcc: MVCCStore
    public let watchHub: WatchHub
    public let logger: Logger

    let environment: Environment
    let mailbox = RaftMailbox()
    let loop: RaftLoopState
    let transport: PeerTransport
    let memberID: UInt64
    let memberName: String
    let clusterIDValue: Atomic<UInt64>
    let leaseClock = Mutex(LeaseClock())
    let appliedIndex = Atomic<UInt64>(0)
    let readYourWrites = ReadYourWritesGate()
    let now: @Sendable () -> ContinuousClock.Instant
    let loopDone = Mutex<Bool>(false)
    let removed = Atomic<Bool>(false)
    let published: Mutex<PublishedRaftState>
    let nextSequence = Atomic<UInt64>(1)
    let peerListenerStarted = Mutex<Bool>(false)
    /// On the leader, each member's matched log index, as of the last Ready.
    let progressSnapshot = Mutex<[UInt64: UInt64]>([:])
    let leaseRequests = Mutex<LeaseRequestTable>(LeaseRequestTable())
    /// Bytes of the data file holding the key space (the Raft log left out), which the quota bounds;
    /// refreshed by the applier at most every `usageRefresh`.
    let bytesInUse = Atomic<Int64>(0)
    let lastUsageRefresh = Mutex<ContinuousClock.Instant?>(nil)
    static let usageRefresh: Duration = .milliseconds(500)
    let batchSizes = Recorder(label: "keel_store_apply_batch_size")
    let applyDuration = Timer(label: "keel_store_apply_batch_duration")
    let commitEntries = Recorder(label: "keel_store_apply_commit_entries")
    let commitDuration = Timer(label: "keel_store_apply_commit_duration")
    /// One Raft batch's log append with its sync (etcd: wal_fsync_duration), the floor of a write's latency.
    let logSaveDuration = Timer(label: "keel_store_log_save_duration")
    let proposalsFailed = Counter(label: "keel_store_proposals_failed_total")
    let leaderChanges = Counter(label: "keel_store_leader_changes_seen_total")
    let isLeaderGauge = Gauge(label: "keel_store_is_leader")
    /// Set by the Raft loop when it stopped because it could not persist a batch.
    let persistenceFailure = Mutex<StoreError?>(nil)
    /// HashKV questions sent to peers and not yet answered, by request id.
    let hashRequests = Mutex<[UInt64: CheckedContinuation<PeerHashKV, any Error>]>([:])
    let corruptionChecks = Counter(label: "keel_store_corruption_checks_total")
    let corruptionMismatches = Counter(label: "keel_store_corruption_mismatches_total")
    let corruptionCheckDuration = Timer(label: "keel_store_corruption_check_duration")

    /// How long a write or read waits for the cluster before failing with `StoreError.timeout`
    /// (etcd: five seconds plus two election timeouts).
    public var requestTimeout: Duration { .seconds(5) + configuration.electionTimeout * 2 }

    /// Opens (or creates) the member's data directory, restores or bootstraps its Raft state, and starts its
    /// Raft loop. Peers are connected by `startPeerTransport()`.
    public init(
        configuration: StoreConfiguration,
        logger: Logger = Logger(label: "keel.store"),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) throws {
        self.configuration = configuration
        self.now = now
        try FileManager.default.createDirectory(
            atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let environment = try Environment(
            path: configuration.dataDirectory,
            configuration: EnvironmentConfiguration(
                mapSize: Self.mapSize(forQuota: configuration.quotaBackendBytes),
                maxDatabases: 16,
                maxReaders: 1024,
                durability: configuration.syncOnCommit ? .full : .noSync))
        self.environment = environment
        let mvcc = try MVCCStore(environment: environment)
        self.mvcc = mvcc
        self.watchHub = WatchHub(store: mvcc)
        let raftLog = try RaftLogStore(environment: environment)

        let identity = try Self.restoreOrBootstrap(
            configuration: configuration, mvcc: mvcc, raftLog: raftLog)
        memberID = identity.memberID
        memberName = identity.name
        clusterIDValue = Atomic(identity.clusterID)

        var logger = logger
        logger[metadataKey: "member"] = "\(String(identity.memberID, radix: 16))"
        self.logger = logger

        let storage = MemberRaftStorage(log: raftLog, mvcc: mvcc)
        var raftConfiguration = RaftConfiguration(id: identity.memberID, seed: UInt64.random(in: 1...UInt64.max))
        let tickNanoseconds = max(Self.nanoseconds(configuration.heartbeatInterval), 1_000_000)
        raftConfiguration.heartbeatTick = 1
        raftConfiguration.electionTick = max(Int(Self.nanoseconds(configuration.electionTimeout) / tickNanoseconds), 2)
        raftConfiguration.applied = min(raftLog.appliedIndex, (try? raftLog.lastIndex()) ?? 0)
        let node = RaftNode(configuration: raftConfiguration, storage: storage)
        let members = ClusterMember.decodeList(try mvcc.getMeta(Self.membersMetaKey))
        self.loop = RaftLoopState(
            node: node, storage: storage,
            applier: StoreApplier(alarms: StoreApplier.decodeAlarms(try mvcc.getMeta(StoreApplier.alarmsMetaKey))),
            tick: .nanoseconds(tickNanoseconds))
        self.published = Mutex(
            PublishedRaftState(
                term: node.hardState.term, commit: node.hardState.commit, lastIndex: node.status.lastIndex,
                confState: node.confState, members: members, alarms: loop.applier.alarms))
        appliedIndex.store(mvcc.consistentIndex, ordering: .relaxed)
        bytesInUse.store(mvcc.keySpaceBytesInUse, ordering: .relaxed)

        let listen = try configuration.listenPeerURLs.first.map { try PeerURL(parsing: $0) }
        let mailbox = self.mailbox
        let requests = Mutex(WeakMember())
        transport = PeerTransport(
            memberID: identity.memberID, clusterID: identity.clusterID,
            listenHost: listen?.host ?? "127.0.0.1", listenPort: listen?.port ?? 2380,
            logger: logger,
            // The client server runs on the same shared loops: fewer threads to switch between.
            sharedGroup: .singleton,
            deliver: { envelopes in
                var raft: [PeerEnvelope] = []
                for envelope in envelopes {
                    if case .raft = envelope { raft.append(envelope) } else {
                        requests.withLock { $0.member }?.handleApplicationFrame(envelope)
                    }
                }
                if !raft.isEmpty { mailbox.post(.envelopes(raft)) }
            },
            report: { report in mailbox.post(.report(report)) })
        requests.withLock { $0.member = self }
        // A member that joined and has not yet received the cluster's state reaches its peers at the
        // addresses `--initial-cluster` gives.
        let known = members.isEmpty ? Self.initialMembers(configuration) : members
        transport.setPeers(Self.peerAddresses(known, excluding: identity.memberID))

        // Leases restart their countdown at full TTL: the time a member was down never counts against them.
        let start = now()
        let leases = try mvcc.leases()
        leaseClock.withLock { clock in
            for lease in leases { clock.track(id: lease.id, ttl: lease.ttl, now: start) }
        }

        let thread = Thread { [self] in self.runLoop() }
        thread.name = "keel-raft"
        thread.start()
        logger.info(
            "member started",
            metadata: [
                "revision": "\(mvcc.currentRevision)", "leases": "\(leases.count)",
                "data-dir": "\(configuration.dataDirectory)", "name": "\(identity.name)",
                "cluster": "\(String(identity.clusterID, radix: 16))",
                "voters": "\(node.confState.voters.map { String($0, radix: 16) })",
                "applied": "\(raftConfiguration.applied)",
            ])
    }

    /// Binds the peer listener and connects to the other members. A member alone in its cluster binds it
    /// only when a member is added, so single-member stores never need a free peer port.
    public func startPeerTransport() async throws {
        let needed = published.withLock { $0.confState.members.contains { $0 != memberID } }
            || configuration.initialClusterState == .existing
        if needed { try await ensurePeerListener() }
    }

    func ensurePeerListener() async throws {
        let first = peerListenerStarted.withLock { started in
            defer { started = true }
            return !started
        }
        guard first else { return }
        do {
            try await transport.start()
            logger.info("serving peers", metadata: ["url": "\(configuration.listenPeerURLs.first ?? "")"])
        } catch {
            peerListenerStarted.withLock { $0 = false }
            throw error
        }
    }

    /// Stops the Raft loop and the peer transport. Writes still waiting fail with `StoreError.stopped`.
    public func shutdown() async {
        mailbox.stop()
        while !loopDone.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(1)) }
        await transport.shutdown()
    }

    // MARK: Identity and state

    /// The ids this member presents in response headers.
    public var identity: MemberIdentity {
        MemberIdentity(clusterID: clusterIDValue.load(ordering: .relaxed), memberID: memberID, name: memberName)
    }

    /// The Raft term as last handed out by the Raft loop.
    public var raftTerm: UInt64 { published.withLock { $0.term } }

    /// The member's view of the cluster, for `Status` and `MemberList`.
    public var raftStatus: PublishedRaftState { published.withLock { $0 } }

    /// Why the Raft loop stopped on its own, if it did: it could not persist a batch (a full disk, an I/O
    /// error). The member serves nothing more and its process should exit; its data on disk is as of the
    /// last committed batch.
    public var stoppedByFailure: StoreError? { persistenceFailure.withLock { $0 } }

    /// Whether this member has applied its own removal from the cluster: it should stop, as etcd's does.
    public var isRemoved: Bool { removed.load(ordering: .relaxed) }

    /// Whether this member is the leader right now (as far as it knows).
    public var isLeader: Bool { published.withLock { $0.leader == memberID } }

    /// The index of the last applied entry.
    public var appliedEntryIndex: UInt64 { appliedIndex.load(ordering: .relaxed) }

    /// Bytes of the data file holding the key space (what `--quota-backend-bytes` bounds), as last measured.
    public var backendBytesInUse: Int64 { bytesInUse.load(ordering: .relaxed) }

    /// Active alarms, as replicated through the log.
    public var alarms: [Alarm] {
        published.withLock { Array($0.alarms) }.sorted {
            ($0.memberID, $0.kind.rawValue) < ($1.memberID, $1.kind.rawValue)
        }
    }

    // MARK: Writes

    /// Submits a write and waits until it is committed by a quorum and applied here. A write that would take
    /// the data past `quotaBackendBytes` raises the NOSPACE alarm and is refused, as etcd does.
    public func propose(_ request: WriteRequest) async throws -> WriteResult {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WriteResult, any Error>) in
            propose(request) { continuation.resume(with: $0) }
        }
    }

    /// `propose(_:)` without a task: `completion` is called once, from the member's Raft loop when the write
    /// is answered (or from this thread, when the member has stopped). It must return quickly.
    public func propose(_ request: WriteRequest, completion: @escaping @Sendable (Result<WriteResult, any Error>) -> Void) {
        if let cost = request.spaceCost, bytesInUse.load(ordering: .relaxed) + cost > configuration.quotaBackendBytes,
            exceedsQuotaAfterMeasuring(cost)
        {
            Task {
                if !alarms.contains(where: { $0.kind == .noSpace }) {
                    logger.warning(
                        "backend quota exceeded; raising the NOSPACE alarm",
                        metadata: [
                            "in-use": "\(bytesInUse.load(ordering: .relaxed))",
                            "quota": "\(configuration.quotaBackendBytes)",
                        ])
                    _ = try? await submit(.alarm(AlarmChange(action: .activate, alarm: Alarm(memberID: memberID, kind: .noSpace))))
                }
                completion(.failure(StoreError.noSpace))
            }
            return
        }
        submit(request, completion: completion)
    }

    func submit(_ request: WriteRequest) async throws -> WriteResult {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WriteResult, any Error>) in
            submit(request) { continuation.resume(with: $0) }
        }
    }

    private func submit(_ request: WriteRequest, completion: @escaping @Sendable (Result<WriteResult, any Error>) -> Void) {
        let sequence = nextSequence.wrappingAdd(1, ordering: .relaxed).oldValue
        let data = ProposalEnvelope(proposer: memberID, sequence: sequence, request: request.encoded).encoded
        let proposal = PendingProposal(sequence: sequence, data: data, deadline: now() + requestTimeout, completion: completion)
        if !mailbox.post(.proposal(proposal)) { completion(.failure(StoreError.stopped)) }
    }

    // MARK: Reads

    /// Returns once this member has applied everything committed before the call: a read that follows sees
    /// every write acknowledged before the call began, on any member (etcd's linearizable read).
    public func linearizableBarrier() async throws {
        let deadline = now() + requestTimeout
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let waiter = ReadWaiter(deadline: deadline, completion: { continuation.resume(with: $0) })
            if !mailbox.post(.read(waiter)) { continuation.resume(throwing: StoreError.stopped) }
        }
    }

    /// Returns once every write this member has answered is visible to reads of its local state. Serializable
    /// reads call it first, so that a client reading from the member that answered its write sees the write
    /// (etcd's members answer after their backend's buffer holds the write, with the same effect).
    public func awaitAnsweredWrites() async {
        await readYourWrites.waitForAnsweredWrites { [mailbox] in mailbox.post(.commitApplied) }
    }

    // MARK: Leadership

    /// Hands leadership to `target` (etcd's MoveLeader) and waits until it leads.
    public func transferLeadership(to target: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            if !mailbox.post(.transferLeadership(to: target, completion: { continuation.resume(with: $0) })) {
                continuation.resume(throwing: StoreError.stopped)
            }
        }
    }

    // MARK: Usage

    /// Whether `cost` more bytes pass the quota, measured now: the last measure may predate a compaction
    /// that freed pages (usage is refreshed at most every `usageRefresh`).
    private func exceedsQuotaAfterMeasuring(_ cost: Int64) -> Bool {
        refreshUsage(force: true)
        return bytesInUse.load(ordering: .relaxed) + cost > configuration.quotaBackendBytes
    }

    func refreshUsage(force: Bool = false) {
        let instant = ContinuousClock.now
        let due = lastUsageRefresh.withLock { last in
            if !force, let last, last.duration(to: instant) < Self.usageRefresh { return false }
            last = instant
            return true
        }
        if due { bytesInUse.store(mvcc.keySpaceBytesInUse, ordering: .relaxed) }
    }

    // MARK: Sizes

    /// LMDB's map is the hard ceiling of the data file; it is set above the quota so that the quota, not
    /// the map, is what a client runs into, and deletes and compaction still have room to work.
    static func mapSize(forQuota quota: Int64) -> Int {
        Int(max(quota, 64 * 1024 * 1024)) * 2 + 256 * 1024 * 1024
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Lets the transport reach its member without keeping it alive.
struct WeakMember: @unchecked Sendable {  // reason: only read and written under the Mutex that holds it.
    weak var member: StoreMember?
}

/// The member's view of its Raft group, as of the last Ready the loop handled.
public struct PublishedRaftState: Sendable {
    public var leader: UInt64?
    public var term: UInt64
    public var commit: UInt64
    public var lastIndex: UInt64
    public var confState: ConfState
    public var members: [ClusterMember]
    public var alarms: Set<Alarm>

    public init(
        leader: UInt64? = nil, term: UInt64, commit: UInt64, lastIndex: UInt64, confState: ConfState,
        members: [ClusterMember], alarms: Set<Alarm>
    ) {
        self.leader = leader
        self.term = term
        self.commit = commit
        self.lastIndex = lastIndex
        self.confState = confState
        self.members = members
        self.alarms = alarms
    }
}

/// etcd's `--auto-compaction-mode` with its `--auto-compaction-retention`.
public enum AutoCompactionPolicy: Sendable, Equatable {
    /// Keep the last N revisions; checked every five minutes.
    case revision(Int64)
    /// Keep the history of the last period; checked every tenth of it.
    case periodic(Duration)
}
