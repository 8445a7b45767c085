import Foundation
import LMDB
import Logging
import MVCC
import Metrics
import Synchronization

/// One store member: the key space, its watchers and leases, and the single applier that changes them.
///
/// Guarantees:
/// - Every write is a `WriteRequest` applied in arrival order by one applier thread; a request's completion
///   runs only after the LMDB transaction holding it has been committed and synced, so an acknowledged write
///   survives a SIGKILL of the process at any instant.
/// - Requests arriving while a batch is being synced form the next batch: one fsync per batch.
/// - Watchers see a revision only after it is durable, in revision order.
public final class StoreMember: Sendable {
    public let configuration: StoreConfiguration
    public let identity: MemberIdentity
    public let mvcc: MVCCStore
    public let watchHub: WatchHub
    public let logger: Logger

    private let environment: Environment
    private let queue = ProposalQueue()
    private let applierState: Mutex<StoreApplier>
    private let leaseClock = Mutex(LeaseClock())
    private let appliedIndex = Atomic<UInt64>(0)
    private let now: @Sendable () -> ContinuousClock.Instant
    private let applierDone = Mutex<Bool>(false)
    /// Bytes of the data file holding live data, refreshed by the applier at most every `usageRefresh`.
    private let bytesInUse = Atomic<Int64>(0)
    private let lastUsageRefresh = Mutex<ContinuousClock.Instant?>(nil)
    private static let usageRefresh: Duration = .milliseconds(500)
    private let batchSizes = Recorder(label: "keel_store_apply_batch_size")
    private let applyDuration = Timer(label: "keel_store_apply_batch_duration")
    private let proposalsFailed = Counter(label: "keel_store_proposals_failed_total")

    /// The largest number of requests applied in one LMDB transaction.
    static let maximumBatch = 4096

    /// Opens (or creates) the member's data directory and starts its applier.
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

        if let stored = try mvcc.getMeta(Self.identityMetaKey), let identity = Self.decodeIdentity(stored) {
            self.identity = identity
        } else {
            let identity = MemberIdentity.derive(
                name: configuration.name, peerURLs: configuration.peerURLs,
                clusterToken: configuration.initialClusterToken)
            _ = try mvcc.write(consistentIndex: mvcc.consistentIndex) { batch in
                try batch.setMeta(Self.identityMetaKey, Self.encodeIdentity(identity))
            }
            self.identity = identity
        }
        var logger = logger
        logger[metadataKey: "member"] = "\(String(identity.memberID, radix: 16))"
        logger[metadataKey: "term"] = "1"
        self.logger = logger

        self.applierState = Mutex(
            StoreApplier(alarms: StoreApplier.decodeAlarms(try mvcc.getMeta(StoreApplier.alarmsMetaKey))))
        appliedIndex.store(mvcc.consistentIndex, ordering: .relaxed)
        bytesInUse.store(mvcc.dbSizeInUseBytes, ordering: .relaxed)

        // Leases restart their countdown at full TTL: the time a member was down never counts against them.
        let start = now()
        let leases = try mvcc.leases()
        leaseClock.withLock { clock in
            for lease in leases { clock.track(id: lease.id, ttl: lease.ttl, now: start) }
        }

        let thread = Thread { [self] in self.runApplier() }
        thread.name = "keel-applier"
        thread.start()
        logger.info(
            "member started",
            metadata: [
                "revision": "\(mvcc.currentRevision)", "leases": "\(leases.count)",
                "data-dir": "\(configuration.dataDirectory)",
            ])
    }

    /// Stops accepting writes, applies what is queued, and waits for the applier to finish.
    public func close() {
        queue.stop()
        while !applierDone.withLock({ $0 }) { usleep(1000) }
    }

    // MARK: Writes

    /// Submits a write and waits until it is applied and durable. A write that would take the data past
    /// `quotaBackendBytes` raises the NOSPACE alarm and is refused, as etcd does.
    public func propose(_ request: WriteRequest) async throws -> WriteResult {
        if let cost = request.spaceCost, bytesInUse.load(ordering: .relaxed) + cost > configuration.quotaBackendBytes {
            if !alarms.contains(where: { $0.kind == .noSpace }) {
                logger.warning(
                    "backend quota exceeded; raising the NOSPACE alarm",
                    metadata: ["in-use": "\(bytesInUse.load(ordering: .relaxed))", "quota": "\(configuration.quotaBackendBytes)"])
                _ = try? await enqueue(.alarm(AlarmChange(
                    action: .activate, alarm: Alarm(memberID: identity.memberID, kind: .noSpace))))
            }
            throw StoreError.noSpace
        }
        return try await enqueue(request)
    }

    private func enqueue(_ request: WriteRequest) async throws -> WriteResult {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<WriteResult, any Error>) in
            let accepted = queue.enqueue(request) { result in continuation.resume(with: result) }
            if !accepted { continuation.resume(throwing: StoreError.stopped) }
        }
    }

    private func runApplier() {
        while let batch = queue.takeBatch(limit: Self.maximumBatch) {
            apply(batch)
        }
        applierDone.withLock { $0 = true }
    }

    private func apply(_ proposals: [ProposalQueue.Proposal]) {
        let started = ContinuousClock.now
        var outcomes: [Result<WriteResult, any Error>] = []
        outcomes.reserveCapacity(proposals.count)
        let firstIndex = appliedIndex.load(ordering: .relaxed) + 1
        let lastIndex = firstIndex + UInt64(proposals.count) - 1
        let events: [Event]
        do {
            events = try applierState.withLock { applier in
                let saved = applier
                do {
                    return try mvcc.write(consistentIndex: lastIndex) { batch in
                        for proposal in proposals {
                            do {
                                let outcome = try applier.apply(proposal.request, to: &batch)
                                outcomes.append(.success(WriteResult(outcome: outcome, revision: batch.currentRevision)))
                            } catch {
                                outcomes.append(.failure(error))
                            }
                        }
                    }.events
                } catch {
                    applier = saved
                    throw error
                }
            }
        } catch {
            logger.error("applying a batch failed", metadata: ["error": "\(error)", "requests": "\(proposals.count)"])
            proposalsFailed.increment(by: proposals.count)
            for proposal in proposals { proposal.completion(.failure(error)) }
            return
        }
        appliedIndex.store(lastIndex, ordering: .relaxed)
        refreshUsage()
        watchHub.notify(events: events, revision: mvcc.currentRevision)

        let instant = now()
        leaseClock.withLock { clock in
            for (proposal, outcome) in zip(proposals, outcomes) {
                guard case .success(let result) = outcome else { continue }
                switch result.outcome {
                case .leaseGranted(let id, let ttl): clock.track(id: id, ttl: ttl, now: instant)
                case .leaseRevoked:
                    if case .leaseRevoke(let id) = proposal.request { clock.forget(id: id) }
                default: break
                }
            }
        }
        batchSizes.record(proposals.count)
        let elapsed = started.duration(to: .now).components
        applyDuration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        for (proposal, outcome) in zip(proposals, outcomes) { proposal.completion(outcome) }
    }

    private func refreshUsage(force: Bool = false) {
        let instant = ContinuousClock.now
        let due = lastUsageRefresh.withLock { last in
            if !force, let last, last.duration(to: instant) < Self.usageRefresh { return false }
            last = instant
            return true
        }
        if due { bytesInUse.store(mvcc.dbSizeInUseBytes, ordering: .relaxed) }
    }

    /// Bytes of the data file holding live data, as last measured.
    public var backendBytesInUse: Int64 { bytesInUse.load(ordering: .relaxed) }

    // MARK: Reads and state

    /// The index of the last applied entry.
    public var appliedEntryIndex: UInt64 { appliedIndex.load(ordering: .relaxed) }

    /// Active alarms.
    public var alarms: [Alarm] {
        applierState.withLock { Array($0.alarms) }.sorted { ($0.memberID, $0.kind.rawValue) < ($1.memberID, $1.kind.rawValue) }
    }

    /// The largest TTL etcd accepts for a lease.
    public static let maximumLeaseTTL: Int64 = 9_000_000_000

    /// Grants a lease; a zero id asks the member to choose one.
    public func grantLease(id requested: Int64, ttl requestedTTL: Int64) async throws -> (id: Int64, ttl: Int64) {
        if requestedTTL > Self.maximumLeaseTTL { throw StoreError.leaseTTLTooLarge(requestedTTL) }
        let ttl = max(requestedTTL, configuration.minimumLeaseTTL)
        var id = requested
        if id == 0 {
            repeat {
                id = Int64.random(in: 1...Int64.max)
            } while try mvcc.lease(id) != nil
        }
        let result = try await propose(.leaseGrant(id: id, ttl: ttl))
        guard case .leaseGranted(let grantedID, let grantedTTL) = result.outcome else {
            preconditionFailure("a lease grant produced \(result.outcome)")
        }
        return (grantedID, grantedTTL)
    }

    /// Restarts a lease's countdown. Returns its TTL, or nil when no such lease exists.
    public func renewLease(id: Int64) -> Int64? {
        leaseClock.withLock { $0.renew(id: id, now: now()) }
    }

    /// A lease's remaining and granted TTL and, if asked, its keys; nil when no such lease exists.
    public func leaseTimeToLive(id: Int64, includeKeys: Bool) throws -> (
        remaining: Int64, granted: Int64, keys: [[UInt8]]
    )? {
        guard let record = try mvcc.lease(id) else { return nil }
        let remaining = leaseClock.withLock { $0.remaining(id: id, now: now()) } ?? record.ttl
        let keys = includeKeys ? try mvcc.keys(attachedTo: id) : []
        return (remaining, record.ttl, keys)
    }

    /// Revokes every lease whose time is up. Runs until the task is cancelled.
    public func runLeaseExpiry(interval: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let expired = leaseClock.withLock { $0.expired(now: now()) }
            for id in expired {
                do {
                    _ = try await propose(.leaseRevoke(id: id))
                    logger.debug("lease expired", metadata: ["lease": "\(String(id, radix: 16))"])
                } catch MVCCError.leaseNotFound {
                    leaseClock.withLock { $0.forget(id: id) }
                } catch {
                    logger.warning("revoking an expired lease failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Compacts history on etcd's `--auto-compaction-mode` schedule. Runs until the task is cancelled.
    public func runAutoCompaction(_ policy: AutoCompactionPolicy) async {
        var samples: [(at: ContinuousClock.Instant, revision: Int64)] = []
        while !Task.isCancelled {
            let interval: Duration
            switch policy {
            case .revision: interval = .seconds(300)
            case .periodic(let retention): interval = max(retention / 10, .seconds(1))
            }
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            let target: Int64
            switch policy {
            case .revision(let keep):
                target = mvcc.currentRevision - keep
            case .periodic(let retention):
                let instant = now()
                samples.append((instant, mvcc.currentRevision))
                guard let due = samples.last(where: { $0.at.duration(to: instant) >= retention }) else { continue }
                samples.removeAll { $0.at < due.at }
                target = due.revision
            }
            guard target > mvcc.compactedRevision, target > 1 else { continue }
            do {
                _ = try await propose(.compact(revision: target))
                logger.info("auto-compacted", metadata: ["revision": "\(target)"])
            } catch {
                logger.warning("auto-compaction failed", metadata: ["error": "\(error)", "revision": "\(target)"])
            }
        }
    }

    // MARK: Sizes

    /// LMDB's map is the hard ceiling of the data file; it is set above the quota so that the quota, not
    /// the map, is what a client runs into, and deletes and compaction still have room to work.
    static func mapSize(forQuota quota: Int64) -> Int {
        Int(max(quota, 64 * 1024 * 1024)) * 2 + 256 * 1024 * 1024
    }

    // MARK: Identity persistence

    static let identityMetaKey = "identity"

    static func encodeIdentity(_ identity: MemberIdentity) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: identity.clusterID.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: identity.memberID.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(identity.name.utf8))
        return bytes
    }

    static func decodeIdentity(_ bytes: [UInt8]) -> MemberIdentity? {
        guard bytes.count >= 16 else { return nil }
        var cluster: UInt64 = 0
        var member: UInt64 = 0
        for byte in bytes[0..<8] { cluster = cluster << 8 | UInt64(byte) }
        for byte in bytes[8..<16] { member = member << 8 | UInt64(byte) }
        return MemberIdentity(clusterID: cluster, memberID: member, name: String(decoding: bytes[16...], as: UTF8.self))
    }
}

/// etcd's `--auto-compaction-mode` with its `--auto-compaction-retention`.
public enum AutoCompactionPolicy: Sendable, Equatable {
    /// Keep the last N revisions; checked every five minutes.
    case revision(Int64)
    /// Keep the history of the last period; checked every tenth of it.
    case periodic(Duration)
}
