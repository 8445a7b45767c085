import Foundation
import Logging
import MVCC
import PeerTransport

/// Corruption checks, as etcd 3.4 runs them: members compare their HashKV at the same revision over the
/// peer connections. A member whose data disagrees refuses to start (`--experimental-initial-corrupt-check`),
/// and the leader compares every follower periodically (`--experimental-corrupt-check-time`), raising the
/// CORRUPT alarm through the log for a member that disagrees; while that alarm is active every member refuses
/// writes with etcd's "corrupt cluster".
extension StoreMember {
    /// Compares this member's HashKV at its current revision with every peer's at the same revision, before
    /// the member serves clients. Throws `CorruptionCheckError.inconsistentWithPeers` when a peer with the
    /// same compacted revision has another hash. Peers that do not answer in time, have not reached the
    /// revision or compacted past it are skipped with a warning, as etcd does. A member without data has
    /// nothing to compare and passes.
    public func checkInitialHashKV() async throws {
        let started = ContinuousClock.now
        defer { recordCheck(since: started) }
        let local = try mvcc.hashKV(revision: 0)
        let peers = peerIDs
        logger.info(
            "starting the initial corruption check",
            metadata: [
                "revision": "\(local.revision)", "compact-revision": "\(local.compactRevision)",
                "hash": "\(local.hash)", "peers": "\(peers.map { String($0, radix: 16) })",
            ])
        guard local.revision > 1 || local.compactRevision > 0, !peers.isEmpty else {
            logger.info("initial corruption check skipped: no data or no peers to compare with")
            return
        }
        let answers = await askPeersForHashKV(revision: local.revision, peers: peers)
        var mismatched: [UInt64] = []
        for peer in peers {
            let name = String(peer, radix: 16)
            guard let answer = answers[peer] else {
                logger.warning("cannot fetch hash from remote peer", metadata: ["peer": "\(name)"])
                continue
            }
            switch answer.status {
            case .hashed where answer.compactRevision != local.compactRevision:
                logger.warning(
                    "skipping a peer compacted at another revision",
                    metadata: ["peer": "\(name)", "peer-compact-revision": "\(answer.compactRevision)"])
            case .hashed where answer.hash != local.hash:
                logger.error(
                    "found data inconsistency with a peer",
                    metadata: [
                        "peer": "\(name)", "revision": "\(local.revision)", "local-hash": "\(local.hash)",
                        "peer-hash": "\(answer.hash)", "compact-revision": "\(local.compactRevision)",
                    ])
                mismatched.append(peer)
            case .hashed:
                logger.info("hash matches a peer", metadata: ["peer": "\(name)", "revision": "\(local.revision)"])
            case .futureRevision:
                logger.warning("cannot fetch hash from slow remote peer", metadata: ["peer": "\(name)"])
            case .compacted:
                logger.warning(
                    "cannot fetch hash from remote peer; local member is behind", metadata: ["peer": "\(name)"])
            case .failed:
                logger.warning("remote peer failed to hash its key space", metadata: ["peer": "\(name)"])
            }
        }
        if !mismatched.isEmpty {
            corruptionMismatches.increment(by: mismatched.count)
            throw CorruptionCheckError.inconsistentWithPeers(
                member: memberID, revision: local.revision, peers: mismatched)
        }
        logger.info("initial corruption check passed", metadata: ["revision": "\(local.revision)"])
    }

    /// On the leader, compares every follower's HashKV with its own every `interval`. Runs until cancelled.
    public func runCorruptionCheck(every interval: Duration) async {
        logger.info("periodic corruption check enabled", metadata: ["interval": "\(interval)"])
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            guard isLeader else { continue }
            await checkFollowersHashKV()
        }
    }

    /// One periodic check (etcd's `checkHashKV`): the leader hashes at its revision, asks the followers at the
    /// same revision, and hashes again. Its own hash changing while neither revision nor compaction moved
    /// means its own data is unstable; a follower with the same compacted revision and another hash is
    /// corrupt. Followers that have not reached the revision or were compacted elsewhere are skipped.
    func checkFollowersHashKV() async {
        let started = ContinuousClock.now
        defer { recordCheck(since: started) }
        let before: (hash: UInt32, revision: Int64, compactRevision: Int64)
        do {
            before = try mvcc.hashKV(revision: 0)
        } catch {
            logger.warning("corruption check: hashing the key space failed", metadata: ["error": "\(error)"])
            return
        }
        let peers = peerIDs
        let answers = await askPeersForHashKV(revision: before.revision, peers: peers)
        guard let after = try? mvcc.hashKV(revision: 0) else { return }
        var corrupt: [UInt64] = []
        if after.hash != before.hash && after.revision == before.revision
            && after.compactRevision == before.compactRevision
        {
            logger.error(
                "corruption check: the leader's own hash changed at the same revision",
                metadata: ["revision": "\(before.revision)", "hash": "\(before.hash)", "hash-after": "\(after.hash)"])
            corrupt.append(memberID)
        }
        for peer in peers {
            guard let answer = answers[peer], answer.status == .hashed,
                answer.compactRevision == before.compactRevision
            else { continue }
            if answer.hash != before.hash {
                logger.error(
                    "found data inconsistency with a follower",
                    metadata: [
                        "peer": "\(String(peer, radix: 16))", "revision": "\(before.revision)",
                        "leader-hash": "\(before.hash)", "peer-hash": "\(answer.hash)",
                        "compact-revision": "\(before.compactRevision)",
                    ])
                corrupt.append(peer)
            }
        }
        logger.debug(
            "corruption check done",
            metadata: ["revision": "\(before.revision)", "answers": "\(answers.count)", "corrupt": "\(corrupt.count)"])
        guard !corrupt.isEmpty else { return }
        corruptionMismatches.increment(by: corrupt.count)
        let raised = Set(alarms.filter { $0.kind == .corrupt }.map(\.memberID))
        for member in corrupt where !raised.contains(member) {
            do {
                let alarm = Alarm(memberID: member, kind: .corrupt)
                _ = try await submit(.alarm(AlarmChange(action: .activate, alarm: alarm)))
                logger.error("raised the CORRUPT alarm", metadata: ["corrupt-member": "\(String(member, radix: 16))"])
            } catch {
                logger.warning("raising the CORRUPT alarm failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func recordCheck(since started: ContinuousClock.Instant) {
        corruptionChecks.increment()
        corruptionCheckDuration.recordNanoseconds(Self.nanoseconds(started.duration(to: .now)))
    }

    /// Every other member of the cluster, voters and learners.
    private var peerIDs: [UInt64] {
        published.withLock { $0.confState.members }.filter { $0 != memberID }
    }

    // MARK: Asking peers

    /// Asks each of `peers` for its HashKV at `revision`; the answers received within the request timeout, by
    /// member. A question unanswered after a second is asked again (the connection may have been opening).
    func askPeersForHashKV(revision: Int64, peers: [UInt64]) async -> [UInt64: PeerHashKV] {
        let deadline = ContinuousClock.now + requestTimeout
        var answers: [UInt64: PeerHashKV] = [:]
        while ContinuousClock.now < deadline {
            let missing = peers.filter { answers[$0] == nil }
            if missing.isEmpty { break }
            await withTaskGroup(of: PeerHashKV?.self) { group in
                for peer in missing {
                    group.addTask { [self] in try? await askHashKV(of: peer, revision: revision, within: .seconds(1)) }
                }
                for await answer in group {
                    if let answer { answers[answer.member] = answer }
                }
            }
        }
        return answers
    }

    private func askHashKV(of peer: UInt64, revision: Int64, within limit: Duration) async throws -> PeerHashKV {
        let requestID = nextSequence.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await withThrowingTaskGroup(of: PeerHashKV.self) { group in
            group.addTask { [self] in
                try await withCheckedThrowingContinuation {
                    (continuation: CheckedContinuation<PeerHashKV, any Error>) in
                    hashRequests.withLock { $0[requestID] = continuation }
                    var writer = ByteWriter(capacity: 16)
                    writer.write(requestID)
                    writer.write(UInt64(bitPattern: revision))
                    transport.send([
                        .application(kind: PeerHashKV.requestFrame, payload: writer.bytes, from: memberID, to: peer)
                    ])
                }
            }
            group.addTask {
                try await Task.sleep(for: limit)
                throw StoreError.timeout
            }
            defer {
                group.cancelAll()
                if let continuation = hashRequests.withLock({ $0.removeValue(forKey: requestID) }) {
                    continuation.resume(throwing: StoreError.timeout)
                }
            }
            return try await group.next()!
        }
    }

    /// Handles a HashKV question from a peer (answered from this member's store, off the transport's thread)
    /// or the answer to one of ours.
    func handleHashKVFrame(kind: UInt8, payload: [UInt8], from peer: UInt64) {
        switch kind {
        case PeerHashKV.requestFrame:
            var reader = ByteReader(payload)
            guard let requestID = try? reader.readUInt64(), let rawRevision = try? reader.readUInt64() else { return }
            Task { [self] in
                let answer = localHashKV(revision: Int64(bitPattern: rawRevision))
                transport.send([
                    .application(
                        kind: PeerHashKV.answerFrame, payload: answer.encoded(requestID: requestID), from: memberID,
                        to: peer)
                ])
            }
        case PeerHashKV.answerFrame:
            guard let (requestID, answer) = PeerHashKV.decode(payload, from: peer) else { return }
            hashRequests.withLock { $0.removeValue(forKey: requestID) }?.resume(returning: answer)
        default:
            logger.debug("ignoring an unknown peer frame", metadata: ["kind": "\(kind)", "from": "\(peer)"])
        }
    }

    private func localHashKV(revision: Int64) -> PeerHashKV {
        var answer = PeerHashKV(member: memberID, status: .hashed, hash: 0, revision: 0, compactRevision: 0)
        do {
            let result = try mvcc.hashKV(revision: revision)
            answer.hash = result.hash
            answer.revision = result.revision
            answer.compactRevision = result.compactRevision
        } catch MVCCError.compacted(_, let compacted) {
            answer.status = .compacted
            answer.compactRevision = compacted
        } catch MVCCError.futureRevision(_, let current) {
            answer.status = .futureRevision
            answer.revision = current
        } catch {
            answer.status = .failed
        }
        return answer
    }
}
