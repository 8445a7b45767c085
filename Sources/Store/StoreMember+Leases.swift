import Foundation
import MVCC
import PeerTransport
import Raft
import Synchronization

/// Leases: granted and revoked through the log like any write; their countdowns are kept by the leader,
/// which alone expires them (through the log) and renews them. Followers pass keep-alives and TTL queries
/// on to the leader over the peer connections.
extension StoreMember {
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

    /// Restarts a lease's countdown on the leader. Returns its TTL, or nil when no such lease exists.
    public func renewLease(id: Int64) async throws -> Int64? {
        if isLeader { return leaseClock.withLock { $0.renew(id: id, now: now()) } }
        let answer = try await askLeader(.renew, lease: id)
        return answer.ttl < 0 ? nil : answer.ttl
    }

    /// A lease's remaining and granted TTL (as the leader counts it) and, if asked, its keys; nil when no
    /// such lease exists.
    public func leaseTimeToLive(id: Int64, includeKeys: Bool) async throws -> (
        remaining: Int64, granted: Int64, keys: [[UInt8]]
    )? {
        guard let record = try mvcc.lease(id) else { return nil }
        let remaining: Int64
        if isLeader {
            remaining = leaseClock.withLock { $0.remaining(id: id, now: now()) } ?? record.ttl
        } else {
            let answer = try await askLeader(.timeToLive, lease: id)
            if answer.ttl < 0 { return nil }
            remaining = answer.ttl
        }
        let keys = includeKeys ? try mvcc.keys(attachedTo: id) : []
        return (remaining, record.ttl, keys)
    }

    /// Updates the countdowns after applied grants and revokes; every member tracks them, so that a new
    /// leader has them at hand.
    func trackLeases(_ changes: [(WriteRequest, WriteResult.Outcome)]) {
        guard !changes.isEmpty else { return }
        let instant = now()
        leaseClock.withLock { clock in
            for (request, outcome) in changes {
                switch outcome {
                case .leaseGranted(let id, let ttl): clock.track(id: id, ttl: ttl, now: instant)
                case .leaseRevoked:
                    if case .leaseRevoke(let id) = request { clock.forget(id: id) }
                default: break
                }
            }
        }
    }

    /// On the leader, revokes every lease whose time is up. Runs until the task is cancelled.
    public func runLeaseExpiry(interval: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard isLeader else { continue }
            let expired = leaseClock.withLock { $0.expired(now: now()) }
            for id in expired {
                guard isLeader else { break }
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

    /// On the leader, compacts history on etcd's `--auto-compaction-mode` schedule. Runs until cancelled.
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
            guard isLeader, target > mvcc.compactedRevision, target > 1 else { continue }
            do {
                _ = try await propose(.compact(revision: target))
                logger.info("auto-compacted", metadata: ["revision": "\(target)"])
            } catch {
                logger.warning("auto-compaction failed", metadata: ["error": "\(error)", "revision": "\(target)"])
            }
        }
    }

    // MARK: Asking the leader

    func askLeader(_ question: LeaseQuestion, lease: Int64) async throws -> LeaseAnswer {
        guard let leader = published.withLock({ $0.leader }), leader != memberID else { throw StoreError.noLeader }
        let requestID = nextSequence.wrappingAdd(1, ordering: .relaxed).oldValue
        let timeout = configuration.electionTimeout * 2
        return try await withThrowingTaskGroup(of: LeaseAnswer.self) { group in
            group.addTask { [self] in
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<LeaseAnswer, any Error>) in
                    leaseRequests.withLock { $0.waiting[requestID] = continuation }
                    var writer = ByteWriter(capacity: 25)
                    writer.write(requestID)
                    writer.write(UInt64(bitPattern: lease))
                    writer.write(question.rawValue)
                    transport.send([.application(kind: LeaseFrame.request, payload: writer.bytes, from: memberID, to: leader)])
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw StoreError.timeout
            }
            defer {
                group.cancelAll()
                if let continuation = leaseRequests.withLock({ $0.waiting.removeValue(forKey: requestID) }) {
                    continuation.resume(throwing: StoreError.timeout)
                }
            }
            return try await group.next()!
        }
    }

    /// Handles a lease frame from a peer: a question (answered if this member leads) or an answer.
    func handleApplicationFrame(_ envelope: PeerEnvelope) {
        guard case .application(let kind, let payload, let from, _) = envelope else { return }
        var reader = ByteReader(payload)
        switch kind {
        case LeaseFrame.request:
            guard let requestID = try? reader.readUInt64(), let lease = try? reader.readUInt64(),
                let question = (try? reader.readUInt8()).flatMap(LeaseQuestion.init(rawValue:))
            else { return }
            let id = Int64(bitPattern: lease)
            let ttl: Int64?
            if !isLeader {
                ttl = nil
            } else {
                switch question {
                case .renew: ttl = leaseClock.withLock { $0.renew(id: id, now: now()) }
                case .timeToLive: ttl = leaseClock.withLock { $0.remaining(id: id, now: now()) }
                case .learnerReady: ttl = learnerIsReady(UInt64(bitPattern: id)).map { $0 ? 1 : 0 } ?? 0
                }
            }
            var writer = ByteWriter(capacity: 17)
            writer.write(requestID)
            writer.write(UInt8(isLeader ? 1 : 0))
            writer.write(UInt64(bitPattern: ttl ?? -1))
            transport.send([.application(kind: LeaseFrame.answer, payload: writer.bytes, from: memberID, to: from)])
        case LeaseFrame.answer:
            guard let requestID = try? reader.readUInt64(), let leading = try? reader.readUInt8(),
                let ttl = try? reader.readUInt64()
            else { return }
            let continuation = leaseRequests.withLock { $0.waiting.removeValue(forKey: requestID) }
            if leading == 1 {
                continuation?.resume(returning: LeaseAnswer(ttl: Int64(bitPattern: ttl)))
            } else {
                continuation?.resume(throwing: StoreError.noLeader)
            }
        default:
            handleHashKVFrame(kind: kind, payload: payload, from: from)
        }
    }
}

/// Lease requests forwarded to the leader and not yet answered.
struct LeaseRequestTable: Sendable {
    var waiting: [UInt64: CheckedContinuation<LeaseAnswer, any Error>] = [:]
}

struct LeaseAnswer: Sendable {
    /// The TTL (renewal) or remaining seconds (query); -1 for an unknown lease.
    var ttl: Int64
}

/// What a member asks the leader over the peer connection: lease questions, and whether a learner has
/// caught up (only the leader tracks followers' progress).
enum LeaseQuestion: UInt8, Sendable {
    case renew = 1
    case timeToLive = 2
    case learnerReady = 3
}

/// Application frame kinds on the peer connections.
enum LeaseFrame {
    static let request: UInt8 = 1
    static let answer: UInt8 = 2
}
