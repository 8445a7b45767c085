import Foundation
import LMDB
import Logging
import MVCC
import PeerTransport
import Raft
import RaftLog

/// The Raft loop: one thread that owns the `RaftNode`, feeds it what arrives (proposals, reads, peer
/// messages, ticks) and carries out each `Ready`: send, save the entries and hard state to the write-ahead log
/// (one write, one sync), acknowledge, apply the committed entries in the open LMDB transaction, answer the
/// writes. The transaction commits (one sync for several `Ready`s) when its interval is up or when something
/// waits for it; see `PendingApply`.
extension StoreMember {
    func runLoop() {
        let state = loop
        if state.node.confState.voters == [memberID] {
            // Alone in the cluster: lead at once rather than after an election timeout.
            state.node.campaign()
        }
        var nextTick = ContinuousClock.now + state.tick
        var fresh: [PendingProposal] = []
        while true {
            let commitDue = state.pendingApply.map { $0.opened + configuration.backendBatchInterval }
            let wait = ContinuousClock.now.duration(to: min(nextTick, commitDue ?? nextTick))
            let seconds = Double(Self.nanoseconds(wait)) / 1e9
            let (inputs, stopped) = mailbox.take(waitingUntil: Date(timeIntervalSinceNow: max(0, seconds)))
            if stopped {
                commitAppliedBeforeStopping()
                failEverything(with: StoreError.stopped, alsoFailing: inputs)
                break
            }
            for input in inputs { handle(input, fresh: &fresh) }
            let instant = ContinuousClock.now
            if instant >= nextTick {
                state.node.tick()
                // After a pause (a stopped process, a long write) tick once, not once per missed interval.
                nextTick = max(nextTick + state.tick, instant + state.tick / 2)
                expireRequests(now: instant)
                publishAttributesIfNeeded(now: instant)
            }
            proposeBatch(&fresh)
            issueReadIndex(now: instant)
            do {
                while state.node.hasReady {
                    try handleReady()
                }
                try commitAppliedIfDue(now: .now)
            } catch {
                stopAfterPersistenceFailure(error, proposed: fresh)
                break
            }
        }
        loopDone.withLock { $0 = true }
    }

    // MARK: Inputs

    private func handle(_ input: RaftMailbox.Input, fresh: inout [PendingProposal]) {
        let state = loop
        switch input {
        case .proposal(let proposal):
            fresh.append(proposal)
        case .read(let waiter):
            state.readsToRequest.append(waiter)
        case .envelopes(let envelopes):
            for envelope in envelopes {
                guard case .raft(let message) = envelope else { continue }
                state.node.step(message)
            }
        case .configChange(let change, let pending):
            if state.configChange != nil {
                pending.completion(.failure(StoreError.unsupported("another membership change is in progress")))
                return
            }
            do {
                try state.node.proposeConfigChange(change)
                state.configChange = (change, pending)
            } catch {
                pending.completion(.failure(Self.storeError(error)))
            }
        case .transferLeadership(let target, let completion):
            let status = state.node.status
            guard status.confState.isVoter(target) else {
                completion(.failure(StoreError.badLeaderTransferee(target)))
                return
            }
            if status.softState.leader == target {
                completion(.success(()))
                return
            }
            do {
                try state.node.transferLeadership(to: target)
                state.transfer?.completion(.failure(StoreError.timeout))
                state.transfer = (target, now() + configuration.electionTimeout * 2, completion)
            } catch {
                completion(.failure(Self.storeError(error)))
            }
        case .report(let report):
            switch report {
            case .unreachable(let peer): state.node.reportUnreachable(peer)
            case .snapshot(let peer, let succeeded): state.node.reportSnapshot(to: peer, succeeded: succeeded)
            case .connectionLost(let peer): state.node.reportConnectionLost(from: peer)
            }
        case .campaign:
            state.node.campaign()
        case .commitApplied:
            state.commitRequested = true
        }
    }

    /// Proposes everything that arrived in one call, so that the leader appends and replicates it together.
    private func proposeBatch(_ fresh: inout [PendingProposal]) {
        let state = loop
        if !state.waitingForLeader.isEmpty && state.node.softState.leader != nil {
            fresh = state.waitingForLeader + fresh
            state.waitingForLeader = []
        }
        guard !fresh.isEmpty else { return }
        do {
            try state.node.propose(contentsOf: fresh.map(\.data))
            for proposal in fresh { state.proposals[proposal.sequence] = proposal }
        } catch RaftError.noLeader, RaftError.leadershipTransferInProgress {
            state.waitingForLeader += fresh
        } catch {
            for proposal in fresh { proposal.completion(.failure(Self.storeError(error))) }
        }
        fresh = []
    }

    /// Asks for one read index covering every read that arrived since the last request (etcd batches its
    /// linearizable reads the same way).
    private func issueReadIndex(now instant: ContinuousClock.Instant) {
        let state = loop
        if let inFlight = state.readInFlight, inFlight.sent.duration(to: instant) > configuration.electionTimeout {
            // Lost (a dropped message, a leader change): ask again with a new context.
            state.readsToRequest = inFlight.waiters + state.readsToRequest
            state.readInFlight = nil
        }
        guard state.readInFlight == nil, !state.readsToRequest.isEmpty else { return }
        // The leader tells read requests apart by their context alone, from every member: the member id makes
        // this member's contexts distinct from the others'.
        var context = ByteWriter(capacity: 16)
        context.write(memberID)
        context.write(state.nextReadContext)
        state.nextReadContext += 1
        do {
            try state.node.readIndex(context: context.bytes)
            state.readInFlight = (context.bytes, state.readsToRequest, instant)
            state.readsToRequest = []
        } catch {
            // No leader yet: the reads wait, up to their deadline.
        }
    }

    // MARK: Ready

    /// Throws `StoreError.persistenceFailed` when the batch could not be written, and the loop must stop, since
    /// Raft has handed the Ready out and cannot take it back. The log is saved (and synced) before the committed
    /// entries are applied, so a failure leaves the application's state at the last whole batch and the log
    /// holding at least every entry that was acknowledged.
    private func handleReady() throws(StoreError) {
        let state = loop
        let ready = state.node.ready()
        if let soft = ready.softState { leadershipChanged(soft) }
        if !ready.messages.isEmpty { transport.send(ready.messages.map { .raft($0) }) }

        if let snapshot = ready.snapshot { try installSnapshot(snapshot) }

        let log = state.storage.log
        if !ready.entries.isEmpty || ready.hardState != nil {
            // One sequential write and one sync: after this the batch may be acknowledged.
            let started = ContinuousClock.now
            do {
                try log.save(entries: ready.entries, hardState: ready.hardState, sync: ready.mustSync)
                if ready.mustSync { logSaveDuration.recordNanoseconds(Self.nanoseconds(started.duration(to: .now))) }
            } catch {
                let what =
                    ready.entries.last.map { "appending entries through index \($0.index)" } ?? "saving the hard state"
                throw StoreError.persistenceFailed("\(what): \(error)")
            }
        }
        state.logBytesSinceSnapshot += ready.entries.reduce(0) { $0 + $1.byteSize }
        state.node.persisted(through: ready.number)
        if !ready.persistedMessages.isEmpty { transport.send(ready.persistedMessages.map { .raft($0) }) }

        let committed = ready.committedEntries
        if let lastCommitted = committed.last?.index {
            let started = ContinuousClock.now
            try applyToOpenTransaction(committed)
            batchSizes.record(committed.count)
            applyDuration.recordNanoseconds(Self.nanoseconds(started.duration(to: .now)))
            state.node.applied(through: lastCommitted)
        }

        let status = state.node.status
        progressSnapshot.withLock { $0 = status.progress.mapValues(\.match) }
        published.withLock { published in
            published.term = status.hardState.term
            published.commit = status.hardState.commit
            published.lastIndex = status.lastIndex
            published.confState = status.confState
        }

        for read in ready.readStates {
            guard let inFlight = state.readInFlight, inFlight.context == read.context else { continue }
            state.readsWaitingForApply.append((read.index, inFlight.waiters))
            state.readInFlight = nil
        }
        answerReads()
    }

    /// Applies committed entries in the open key-space transaction (beginning one if none is open) and
    /// answers the writes whose outcome is final; the rest waits for the commit.
    private func applyToOpenTransaction(_ committed: [Entry]) throws(StoreError) {
        let state = loop
        let lastCommitted = committed.last?.index ?? 0
        let pending: PendingApply
        if let open = state.pendingApply {
            pending = open
        } else {
            do {
                pending = PendingApply(transaction: try mvcc.beginWrite(), opened: .now, applierBefore: state.applier)
            } catch {
                throw StoreError.persistenceFailed("applying entries through index \(lastCommitted): \(error)")
            }
            state.pendingApply = pending
        }
        let appliedBefore = pending.transaction.consistentIndex
        var completions: [(PendingProposal, Result<WriteResult, any Error>)] = []
        var leaseChanges: [(WriteRequest, WriteResult.Outcome)] = []
        var configChanges: [ConfigChange] = []
        let events: [Event]
        do {
            events = try pending.transaction.write(consistentIndex: max(appliedBefore, lastCommitted)) { batch in
                for entry in committed {
                    try apply(
                        entry, alreadyApplied: entry.index <= appliedBefore, to: &batch,
                        completions: &completions, leaseChanges: &leaseChanges, configChanges: &configChanges)
                }
                // Writes to the key space are answered now rather than after the commit: their entries are
                // durable in the log of a quorum, and a restart applies them again with the same outcome. Local
                // readers wait at the gate until the commit makes them visible.
                completions = answerKeySpaceWrites(completions, through: lastCommitted)
            }.events
        } catch {
            // The transaction was aborted (the Raft log stages nothing in it before the commit): the file still
            // holds the last committed state, whole.
            state.pendingApply = nil
            state.applier = pending.applierBefore
            throw StoreError.persistenceFailed("applying entries through index \(lastCommitted): \(error)")
        }
        pending.appliedThrough = max(pending.appliedThrough, lastCommitted)
        pending.entries += committed.count
        // Watchers get the events now rather than at the commit; the hub keeps them for watchers that catch up
        // from the store before the commit makes them readable there.
        if !events.isEmpty { watchHub.notifyApplied(events: events, revision: pending.transaction.currentRevision) }
        pending.completions += completions
        pending.leaseChanges += leaseChanges
        pending.configChanges += configChanges
    }

    /// Commits the open key-space transaction if it is due: its interval is up, it holds the most entries a
    /// transaction may, something applied in it reaches beyond the key space, a linearizable read waits for
    /// an entry it holds, or a local reader asked for it (`.commitApplied`).
    private func commitAppliedIfDue(now instant: ContinuousClock.Instant) throws(StoreError) {
        let state = loop
        guard let pending = state.pendingApply else {
            state.commitRequested = false
            return
        }
        let visible = appliedIndex.load(ordering: .relaxed)
        let due =
            state.commitRequested || pending.needsCommitNow
            || pending.entries >= configuration.backendBatchLimit
            || pending.opened.duration(to: instant) >= configuration.backendBatchInterval
            || state.readsWaitingForApply.contains { $0.index > visible && $0.index <= pending.appliedThrough }
        if due { try commitApplied() }
    }

    /// Commits the open key-space transaction, if any, and carries out what waited for it: readers and
    /// watchers see its entries, the answers that waited are given, the membership is published, and a
    /// snapshot is taken if one is due.
    private func commitApplied() throws(StoreError) {
        let state = loop
        state.commitRequested = false
        guard let pending = state.pendingApply else { return }
        state.pendingApply = nil
        let log = state.storage.log
        let started = ContinuousClock.now
        do {
            try log.setConfState(
                state.node.confState, appliedIndex: pending.appliedThrough, in: pending.transaction.transaction)
            // The entries are durable in the log already: a power loss that undoes this transaction leaves them
            // to be applied again, so the meta page sync is skipped.
            try pending.transaction.commit(durability: .noMetaSync)
            log.committed()
        } catch {
            pending.transaction.abort()
            log.rolledBack()
            state.applier = pending.applierBefore
            throw StoreError.persistenceFailed(
                "committing the entries applied through index \(pending.appliedThrough): \(error)")
        }
        commitEntries.record(pending.entries)
        commitDuration.recordNanoseconds(Self.nanoseconds(started.duration(to: .now)))

        appliedIndex.store(max(pending.appliedThrough, mvcc.consistentIndex), ordering: .relaxed)
        readYourWrites.visible(through: pending.appliedThrough)
        refreshUsage()
        watchHub.committed(through: mvcc.currentRevision)
        trackLeases(pending.leaseChanges)
        let membershipChanged = !pending.configChanges.isEmpty
        published.withLock { published in
            published.alarms = state.applier.alarms
            if membershipChanged, let stored = try? mvcc.getMeta(Self.membersMetaKey) {
                published.members = ClusterMember.decodeList(stored)
            }
        }
        if membershipChanged { membershipDidChange() }
        for (proposal, result) in pending.completions {
            if case .failure = result { proposalsFailed.increment() }
            proposal.completion(result)
        }
        if let (change, waiting) = state.configChange, pending.configChanges.contains(change) {
            state.configChange = nil
            waiting.completion(.success(published.withLock { $0.members }))
        }
        answerReads()
        snapshotIfDue()
    }

    /// On a clean stop, commits what was applied so that a restart need not apply it again.
    private func commitAppliedBeforeStopping() {
        do {
            try commitApplied()
        } catch {
            logger.warning(
                "committing the applied entries at stop failed; they are applied again at the next start",
                metadata: ["error": "\(error)"])
        }
    }

    /// Answers the writes whose outcome is final once applied (puts, deletes, txns, and every failure), and
    /// returns the others (leases, alarms, compaction), which take effect beyond the key space after the
    /// commit and are answered then.
    private func answerKeySpaceWrites(
        _ completions: [(PendingProposal, Result<WriteResult, any Error>)], through index: LogIndex
    ) -> [(PendingProposal, Result<WriteResult, any Error>)] {
        var later: [(PendingProposal, Result<WriteResult, any Error>)] = []
        var now: [(PendingProposal, Result<WriteResult, any Error>)] = []
        for completion in completions {
            switch completion.1 {
            case .failure: now.append(completion)
            case .success(let result):
                switch result.outcome {
                case .put, .deleteRange, .txn: now.append(completion)
                case .compacted, .leaseGranted, .leaseRevoked, .alarms: later.append(completion)
                }
            }
        }
        guard !now.isEmpty else { return later }
        readYourWrites.answered(through: index)
        for (proposal, result) in now {
            if case .failure = result { proposalsFailed.increment() }
            proposal.completion(result)
        }
        return later
    }

    /// Applies one committed entry inside the open batch. Entries the key space already holds (applied
    /// before a crash, or carried by an installed snapshot) still take effect on the Raft membership.
    private func apply(
        _ entry: Entry, alreadyApplied: Bool, to batch: inout MVCCWriteBatch,
        completions: inout [(PendingProposal, Result<WriteResult, any Error>)],
        leaseChanges: inout [(WriteRequest, WriteResult.Outcome)], configChanges: inout [ConfigChange]
    ) throws {
        let state = loop
        switch entry.kind {
        case .configChange:
            guard let change = ConfigChange(encoded: entry.data) else { return }
            _ = state.node.applyConfigChange(change)
            configChanges.append(change)
            if change.kind == .removeNode && change.nodeID == memberID {
                removed.store(true, ordering: .relaxed)
                logger.warning("this member has been removed from the cluster", metadata: ["index": "\(entry.index)"])
            }
            if !alreadyApplied {
                var members = ClusterMember.decodeList(try batch.getMeta(Self.membersMetaKey))
                Self.apply(change, to: &members)
                try batch.setMeta(Self.membersMetaKey, ClusterMember.encodeList(members))
            }
        case .normal:
            guard !entry.data.isEmpty, !alreadyApplied else { return }
            let envelope: ProposalEnvelope
            let request: WriteRequest
            do {
                envelope = try ProposalEnvelope(encoded: entry.data)
                request = try WriteRequest(encoded: envelope.request)
            } catch {
                // Every member refuses the same bytes the same way, so skipping keeps them identical.
                logger.error("skipping an undecodable log entry", metadata: ["index": "\(entry.index)", "error": "\(error)"])
                return
            }
            let outcome: Result<WriteResult, any Error>
            do {
                let result = try state.applier.apply(request, to: &batch)
                outcome = .success(WriteResult(outcome: result, revision: batch.currentRevision))
                switch result {
                case .leaseGranted, .leaseRevoked: leaseChanges.append((request, result))
                default: break
                }
            } catch let error as MVCCError {
                if case .storage = error { throw error }
                outcome = .failure(error)
            } catch {
                outcome = .failure(error)
            }
            if envelope.proposer == memberID, let proposal = state.proposals.removeValue(forKey: envelope.sequence) {
                completions.append((proposal, outcome))
            }
        }
    }

    /// The member list after `change`: context fields that are set replace the stored ones.
    static func apply(_ change: ConfigChange, to members: inout [ClusterMember]) {
        switch change.kind {
        case .removeNode:
            members.removeAll { $0.id == change.nodeID }
        case .addVoter, .addLearner:
            let learner = change.kind == .addLearner
            let announced = ClusterMember(encoded: change.context)
            if let index = members.firstIndex(where: { $0.id == change.nodeID }) {
                members[index].isLearner = learner
                if let announced {
                    if !announced.name.isEmpty { members[index].name = announced.name }
                    if !announced.peerURLs.isEmpty { members[index].peerURLs = announced.peerURLs }
                    if !announced.clientURLs.isEmpty { members[index].clientURLs = announced.clientURLs }
                }
            } else {
                var member = announced ?? ClusterMember(id: change.nodeID, name: "", peerURLs: [])
                member.id = change.nodeID
                member.isLearner = learner
                members.append(member)
            }
        }
    }

    /// Replaces the whole state with a snapshot sent by the leader: the key space, and the Raft log reset
    /// to start after the snapshot, in one transaction.
    private func installSnapshot(_ snapshot: Snapshot) throws(StoreError) {
        // The snapshot's state replaces the key space in a transaction of its own.
        try commitApplied()
        let state = loop
        let log = state.storage.log
        var metadata = snapshot
        metadata.data = []
        do {
            if snapshot.data.isEmpty {
                try log.write { txn in try log.applySnapshot(metadata, in: txn) }
            } else {
                try mvcc.replaceState(with: snapshot.data, preservingMeta: [Self.identityMetaKey]) { txn in
                    try log.applySnapshot(metadata, in: txn)
                }
                log.committed()
            }
        } catch {
            log.rolledBack()
            throw StoreError.persistenceFailed("installing the snapshot at index \(snapshot.index): \(error)")
        }
        state.snapshotIndex = snapshot.index
        state.applier = StoreApplier(alarms: StoreApplier.decodeAlarms(try? mvcc.getMeta(StoreApplier.alarmsMetaKey)))
        appliedIndex.store(mvcc.consistentIndex, ordering: .relaxed)
        if clusterIDValue.load(ordering: .relaxed) == 0,
            let cluster = (try? mvcc.getMeta(Self.clusterMetaKey)).flatMap({ $0 }).flatMap(Self.decodeCluster)
        {
            clusterIDValue.store(cluster.id, ordering: .relaxed)
            transport.setClusterID(cluster.id)
            let identity = self.identity
            _ = try? mvcc.write(consistentIndex: mvcc.consistentIndex) { batch in
                try batch.setMeta(Self.identityMetaKey, Self.encodeIdentity(identity))
            }
        }
        let instant = now()
        let leases = (try? mvcc.leases()) ?? []
        leaseClock.withLock { clock in
            clock = LeaseClock()
            for lease in leases { clock.track(id: lease.id, ttl: lease.ttl, now: instant) }
        }
        published.withLock { $0.members = ClusterMember.decodeList(try? mvcc.getMeta(Self.membersMetaKey)) }
        membershipDidChange()
        watchHub.resynchronize(revision: mvcc.currentRevision)
        refreshUsage(force: true)
        logger.info(
            "installed a snapshot",
            metadata: [
                "index": "\(snapshot.index)", "term": "\(snapshot.term)", "revision": "\(mvcc.currentRevision)",
                "bytes": "\(snapshot.data.count)",
            ])
    }

    /// Records a snapshot of the state every `snapshotCount` applied entries, or once the log has grown by
    /// `snapshotLogBytes`, and drops the log behind it, keeping `snapshotCatchUpEntries` (at most
    /// `snapshotCatchUpBytes` of them) for followers that are only a little behind. The size bound keeps what a
    /// restart replays, and what the log holds in memory, small when entries are large (a txn of 128 puts).
    private func snapshotIfDue() {
        let state = loop
        let applied = appliedIndex.load(ordering: .relaxed)
        let dueByCount = applied >= state.snapshotIndex + UInt64(max(configuration.snapshotCount, 1))
        guard dueByCount || state.logBytesSinceSnapshot >= configuration.snapshotLogBytes else { return }
        let log = state.storage.log
        do {
            let lastIndex = try log.lastIndex()
            let index = min(applied, lastIndex)
            guard index > state.snapshotIndex else { return }
            try log.write { txn in
                try log.createSnapshot(at: index, confState: state.node.confState, data: [], in: txn)
                let through = log.compactionPoint(
                    keepingBefore: index, entries: max(configuration.snapshotCatchUpEntries, 0),
                    bytes: configuration.snapshotCatchUpBytes)
                if through >= (try log.firstIndex()) { try log.compact(through: through, in: txn) }
            }
            state.snapshotIndex = index
            state.logBytesSinceSnapshot = 0
            logger.info("took a snapshot", metadata: ["index": "\(index)", "term": "\(state.node.hardState.term)"])
        } catch {
            logger.warning("taking a snapshot failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Leadership and membership

    private func leadershipChanged(_ soft: SoftState) {
        let state = loop
        let previous = published.withLock { published in
            defer { published.leader = soft.leader }
            return published.leader
        }
        isLeaderGauge.record(soft.role == .leader ? 1 : 0)
        if soft.leader != state.lastLeader {
            state.lastLeader = soft.leader
            if soft.leader != nil { leaderChanges.increment() }
            logger.info(
                "leader changed",
                metadata: [
                    "leader": "\(soft.leader.map { String($0, radix: 16) } ?? "none")",
                    "term": "\(state.node.hardState.term)", "role": "\(soft.role)",
                ])
        }
        if soft.role == .leader && previous != memberID {
            // A new leader restarts every lease at its full TTL: time spent without a leader never expires one.
            let instant = now()
            let leases = (try? mvcc.leases()) ?? []
            leaseClock.withLock { clock in
                for lease in leases { clock.track(id: lease.id, ttl: lease.ttl, now: instant) }
            }
        }
        if let transfer = state.transfer, soft.leader == transfer.target {
            state.transfer = nil
            transfer.completion(.success(()))
        }
    }

    private func membershipDidChange() {
        let members = published.withLock { $0.members }
        transport.setPeers(Self.peerAddresses(members, excluding: memberID))
        if members.contains(where: { $0.id != memberID }) {
            Task { [self] in
                do { try await ensurePeerListener() } catch {
                    logger.error("cannot serve peers", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Announces this member's name and client URLs to the cluster once it is part of it (etcd's publish).
    private func publishAttributesIfNeeded(now instant: ContinuousClock.Instant) {
        let state = loop
        guard state.configChange == nil, state.node.softState.leader != nil else { return }
        if let last = state.lastPublishAttempt, last.duration(to: instant) < .seconds(2) { return }
        let members = published.withLock { $0.members }
        guard let me = members.first(where: { $0.id == memberID }),
            me.name != memberName || me.clientURLs != configuration.clientURLs
        else { return }
        state.lastPublishAttempt = instant
        let announced = ClusterMember(
            id: memberID, name: memberName, peerURLs: me.peerURLs, clientURLs: configuration.clientURLs,
            isLearner: me.isLearner)
        try? state.node.proposeConfigChange(
            ConfigChange(me.isLearner ? .addLearner : .addVoter, memberID, context: announced.encoded))
    }

    // MARK: Answering

    private func answerReads() {
        let state = loop
        guard !state.readsWaitingForApply.isEmpty else { return }
        let applied = appliedIndex.load(ordering: .relaxed)
        var waiting: [(index: LogIndex, waiters: [ReadWaiter])] = []
        for batch in state.readsWaitingForApply {
            if batch.index <= applied {
                for waiter in batch.waiters { waiter.completion(.success(())) }
            } else {
                waiting.append(batch)
            }
        }
        state.readsWaitingForApply = waiting
    }

    private func expireRequests(now instant: ContinuousClock.Instant) {
        let state = loop
        let error: StoreError = state.node.softState.leader == nil ? .noLeader : .timeout
        for (sequence, proposal) in state.proposals where proposal.deadline <= instant {
            state.proposals[sequence] = nil
            proposalsFailed.increment()
            proposal.completion(.failure(error))
        }
        state.waitingForLeader.removeAll { proposal in
            guard proposal.deadline <= instant else { return false }
            proposalsFailed.increment()
            proposal.completion(.failure(error))
            return true
        }
        state.readsToRequest.removeAll { waiter in
            guard waiter.deadline <= instant else { return false }
            waiter.completion(.failure(error))
            return true
        }
        if var inFlight = state.readInFlight {
            inFlight.waiters.removeAll { waiter in
                guard waiter.deadline <= instant else { return false }
                waiter.completion(.failure(error))
                return true
            }
            state.readInFlight = inFlight
        }
        state.readsWaitingForApply = state.readsWaitingForApply.map { batch in
            (batch.index, batch.waiters.filter { waiter in
                guard waiter.deadline <= instant else { return true }
                waiter.completion(.failure(StoreError.timeout))
                return false
            })
        }.filter { !$0.waiters.isEmpty }
        if let (_, pending) = state.configChange, pending.deadline <= instant {
            state.configChange = nil
            pending.completion(.failure(error))
        }
        if let transfer = state.transfer, transfer.deadline <= instant {
            state.transfer = nil
            transfer.completion(.failure(StoreError.timeout))
        }
    }

    /// Stops the member after a batch could not be persisted, as etcd stops on a failed backend commit: the
    /// failure is logged with the member and term, every waiting request fails, and the member reports the
    /// failure (`stoppedByFailure`) so that its process exits. What is on disk is the last committed batch.
    private func stopAfterPersistenceFailure(_ error: StoreError, proposed fresh: [PendingProposal]) {
        let state = loop
        let reason: String
        if case .persistenceFailed(let text) = error { reason = text } else { reason = "\(error)" }
        let diskFull = reason.localizedCaseInsensitiveContains("no space left on device") || dataDiskIsFull()
        logger.critical(
            diskFull
                ? "no space left on device; stopping the member"
                : "persisting the Raft log failed; stopping the member",
            metadata: [
                "member": "\(String(memberID, radix: 16))", "term": "\(state.node.hardState.term)",
                "applied": "\(appliedIndex.load(ordering: .relaxed))", "error": "\(reason)",
            ])
        persistenceFailure.withLock { $0 = error }
        mailbox.stop()
        for proposal in fresh { proposal.completion(.failure(StoreError.stopped)) }
        failEverything(with: StoreError.stopped, alsoFailing: [])
    }

    /// Whether the file system of the data directory has (almost) no room left. LMDB reports a write cut
    /// short by a full disk as an I/O error, so the message alone does not tell.
    private func dataDiskIsFull() -> Bool {
        var stats = statvfs()
        guard statvfs(configuration.dataDirectory, &stats) == 0 else { return false }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize) < 1 << 20
    }

    private func failEverything(with error: StoreError, alsoFailing inputs: [RaftMailbox.Input]) {
        let state = loop
        for proposal in state.proposals.values { proposal.completion(.failure(error)) }
        for proposal in state.waitingForLeader { proposal.completion(.failure(error)) }
        for waiter in state.readsToRequest { waiter.completion(.failure(error)) }
        for waiter in state.readInFlight?.waiters ?? [] { waiter.completion(.failure(error)) }
        for batch in state.readsWaitingForApply { for waiter in batch.waiters { waiter.completion(.failure(error)) } }
        state.configChange?.pending.completion(.failure(error))
        state.transfer?.completion(.failure(error))
        state.proposals = [:]
        state.waitingForLeader = []
        state.readsToRequest = []
        state.readInFlight = nil
        state.readsWaitingForApply = []
        state.configChange = nil
        state.transfer = nil
        // After a failure the open transaction cannot commit; its entries are applied again at the next start.
        state.pendingApply?.transaction.abort()
        state.pendingApply = nil
        readYourWrites.release()
        // Fail what is still queued so that no caller waits forever.
        for input in inputs + mailbox.take(waitingUntil: Date()).inputs {
            switch input {
            case .proposal(let proposal): proposal.completion(.failure(error))
            case .read(let waiter): waiter.completion(.failure(error))
            case .configChange(_, let pending): pending.completion(.failure(error))
            case .transferLeadership(_, let completion): completion(.failure(error))
            case .envelopes, .report, .campaign, .commitApplied: break
            }
        }
    }

    static func storeError(_ error: any Error) -> any Error {
        switch error as? RaftError {
        case .noLeader: return StoreError.noLeader
        case .leadershipTransferInProgress: return StoreError.timeout
        case .configChangeInProgress: return StoreError.unsupported("another membership change is in progress")
        case .notMember: return StoreError.unsupported("this member is not part of the cluster")
        case nil: return error
        }
    }
}
