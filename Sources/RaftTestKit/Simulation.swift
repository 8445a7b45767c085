import Raft

/// A whole group simulated in one thread: members driven as a real store would drive them (messages sent at
/// once or after persistence, writes completing later and in order, committed entries applied durably),
/// over a network that loses, duplicates, delays and reorders messages and can be partitioned, with
/// members crashing (losing unfinished writes) and restarting from their durable state.
///
/// Every random choice comes from the seed, so a run replays exactly. After every event the run checks
/// election safety, log matching, leader completeness, state machine safety and read linearizability; at
/// the end, with faults healed, every member must apply a final proposal.
public final class Simulation {
    public let options: SimulationOptions
    private var random: SplitMix64
    private var queue = EventQueue<Event>()
    private var now = 0
    private var members: [NodeID: SimulatedMember] = [:]
    private var memberIDs: [NodeID] = []
    private var cut: Set<Link> = []
    private var partitionGeneration = 0
    private var recovering = false
    private var dropRate: Double
    private var duplicateRate: Double

    // What the checks know of the whole history.
    private var leaderOfTerm: [Term: NodeID] = [:]
    private var entryChains: [EntryID: UInt64] = [:]
    private var appliedChains: [UInt64] = [0]
    private var globalCommit: (index: LogIndex, term: Term) = (0, 0)
    private var failure: String?

    // Client activity.
    private var proposalCounter = 0
    private var readCounter = 0
    private var nextNewMemberID: NodeID
    private let finalData: [UInt8]
    private var finalIndex: LogIndex?

    private var tracing: Bool
    private var traceLines: [String] = []
    private var statistics = SimulationReport.Statistics()

    private enum Event {
        case tick(NodeID)
        case deliver(Message)
        case writeDone(NodeID, incarnation: Int)
        case snapshotReport(leader: NodeID, member: NodeID, succeeded: Bool)
        case action
        case restart(NodeID, incarnation: Int)
        case crash(NodeID, incarnation: Int)
        case heal(generation: Int)
        case proposeFinal
    }

    private struct Link: Hashable {
        var from: NodeID
        var to: NodeID
    }

    private struct EntryID: Hashable {
        var index: LogIndex
        var term: Term
    }

    /// `trace` records every event, for replaying a failing seed.
    public init(options: SimulationOptions, trace: Bool = false) {
        self.options = options
        self.random = SplitMix64(seed: options.seed)
        self.tracing = trace
        self.dropRate = options.dropRate
        self.duplicateRate = options.duplicateRate
        self.nextNewMemberID = NodeID(options.members + 1)
        self.finalData = Array("final-\(options.seed)".utf8)
    }

    /// Runs to the end, or to the first violated property.
    public func run() -> Result<SimulationReport, SimulationFailure> {
        let ids = (1...options.members).map { NodeID($0) }
        let bootstrapChain = Fingerprint.mix(options.seed, Snapshot.bootstrapIndex)
        appliedChains = [0, bootstrapChain]
        for id in ids {
            let member = SimulatedMember(initial: id, confState: ConfState(voters: ids), chain: bootstrapChain)
            members[id] = member
            memberIDs.append(id)
            member.start(options: options)
            queue.schedule(.tick(id), at: Int(random.next(below: UInt64(options.tickInterval))))
        }
        queue.schedule(.action, at: 0)
        var events = 0
        while failure == nil, let (time, event) = queue.pop() {
            now = time
            events += 1
            handle(event)
            if !recovering && now >= options.faultDuration { beginRecovery() }
            if recovering && hasConverged() { break }
            if now > options.faultDuration + options.recoveryDeadline {
                fail("no convergence \(options.recoveryDeadline) ms after faults stopped: \(convergenceState())")
            }
        }
        if let failure {
            return .failure(SimulationFailure(seed: options.seed, time: now, message: failure, trace: traceLines))
        }
        statistics.events = events
        statistics.virtualTime = now
        statistics.finalIndex = finalIndex ?? 0
        statistics.terms = leaderOfTerm.count
        return .success(SimulationReport(options: options, statistics: statistics, trace: traceLines))
    }

    // MARK: Events

    private func handle(_ event: Event) {
        switch event {
        case .tick(let id):
            queue.schedule(.tick(id), at: now + options.tickInterval)
            guard let member = members[id], member.isAlive else { return }
            member.node!.tick()
            processReadies(member)
        case .deliver(let message):
            deliver(message)
        case .writeDone(let id, let incarnation):
            guard let member = members[id], member.isAlive, member.incarnation == incarnation else { return }
            completeWrite(member)
        case .snapshotReport(let leader, let target, let succeeded):
            guard let member = members[leader], member.isAlive else { return }
            member.node!.reportSnapshot(to: target, succeeded: succeeded)
            processReadies(member)
        case .action:
            guard !recovering else { return }
            performAction()
            queue.schedule(.action, at: now + random.next(in: options.actionInterval))
        case .restart(let id, let incarnation):
            guard let member = members[id], !member.isAlive, !member.removed, member.incarnation == incarnation
            else { return }
            restart(member)
        case .crash(let id, let incarnation):
            guard !recovering, let member = members[id], member.isAlive, member.incarnation == incarnation else {
                return
            }
            crash(member)
            queue.schedule(.restart(member.id, incarnation: member.incarnation), at: now + random.next(in: 5...300))
        case .heal(let generation):
            if generation == partitionGeneration {
                trace("heal")
                cut = []
            }
        case .proposeFinal:
            guard finalIndex == nil else { return }
            if let leader = currentLeader() {
                try? leader.node!.propose(finalData)
                processReadies(leader)
            }
            queue.schedule(.proposeFinal, at: now + 200)
        }
    }

    private func restart(_ member: SimulatedMember) {
        trace("restart \(member.id) applied=\(member.appliedIndex)")
        member.start(options: options)
        // The durable log must match what was recorded of it.
        let last = (try? member.storage.lastIndex()) ?? 0
        if member.logOffset + LogIndex(member.logChain.count) - 1 != last {
            fail(
                "member \(member.id) restarted with log end \(last),"
                    + " expected \(member.logOffset + LogIndex(member.logChain.count) - 1)"
            )
        }
        processReadies(member)
    }

    private func crash(_ member: SimulatedMember) {
        trace("crash \(member.id) (losing \(member.pendingWrites.count) unfinished writes)")
        statistics.crashes += 1
        member.crash()
    }

    // MARK: Driving a member

    /// Handles every Ready the member has, as the store would.
    private func processReadies(_ member: SimulatedMember) {
        while failure == nil, let node = member.node, node.hasReady {
            let ready = member.node!.ready()
            if tracing { trace("\(member.id) \(ready)") }
            for message in ready.messages { send(message) }
            member.pendingWrites.append(ready)
            let completion = max(now + random.next(in: 1...options.maxWriteDelay), member.lastWriteCompletion)
            member.lastWriteCompletion = completion
            queue.schedule(.writeDone(member.id, incarnation: member.incarnation), at: completion)
            apply(ready.committedEntries, on: member)
            for read in ready.readStates { answerRead(read, on: member) }
            checkAfterReady(member, ready)
            if member.removed && member.isAlive {
                trace("stop removed member \(member.id)")
                member.crash()
            }
        }
    }

    private func completeWrite(_ member: SimulatedMember) {
        let ready = member.pendingWrites.removeFirst()
        let storage = member.storage
        if let snapshot = ready.snapshot {
            storage.applySnapshot(snapshot)
            guard let (index, chain) = Fingerprint.decode(snapshot.data), index == snapshot.index else {
                return fail("member \(member.id) received a snapshot without application state")
            }
            guard Int(index) < appliedChains.count, appliedChains[Int(index)] == chain else {
                return fail("member \(member.id) installed a snapshot at \(index) that matches no applied state")
            }
            member.appliedIndex = index
            member.appliedChain = chain
            member.confState = snapshot.confState
            member.logOffset = index
            member.logChain = [chain]
            statistics.snapshotsInstalled += 1
        }
        if !ready.entries.isEmpty {
            storage.append(ready.entries)
            recordLog(ready.entries, on: member)
        }
        if let hardState = ready.hardState { storage.setHardState(hardState) }
        guard failure == nil else { return }
        member.node!.persisted(through: ready.number)
        for message in ready.persistedMessages { send(message) }
        processReadies(member)
    }

    private func apply(_ entries: [Entry], on member: SimulatedMember) {
        for entry in entries {
            guard entry.index == member.appliedIndex + 1 else {
                return fail("member \(member.id) applies \(entry.index) after \(member.appliedIndex)")
            }
            let chain = Fingerprint.chain(member.appliedChain, entry)
            if Int(entry.index) < appliedChains.count {
                guard appliedChains[Int(entry.index)] == chain else {
                    return fail(
                        "state machine safety: member \(member.id) applied a different entry \(entry) at \(entry.index)"
                    )
                }
            } else {
                appliedChains.append(chain)
            }
            let position = Int(entry.index - member.logOffset)
            if position >= 0 && position < member.logChain.count && member.logChain[position] != chain {
                return fail("member \(member.id) applied \(entry) that differs from its durable log")
            }
            member.appliedIndex = entry.index
            member.appliedChain = chain
            if entry.kind == .configChange, let change = ConfigChange(encoded: entry.data) {
                applyConfigChange(change, on: member)
            }
            if entry.data == finalData && finalIndex == nil {
                finalIndex = entry.index
                trace("final proposal committed at \(entry.index)")
            }
        }
        member.node?.applied(through: member.appliedIndex)
        compactIfDue(member)
    }

    private func applyConfigChange(_ change: ConfigChange, on member: SimulatedMember) {
        let newState = member.node!.applyConfigChange(change)
        member.confState = newState
        member.storage.setConfState(newState)
        statistics.configChangesApplied += 1
        switch change.kind {
        case .addLearner, .addVoter:
            if members[change.nodeID] == nil {
                trace("start new member \(change.nodeID)")
                let newcomer = SimulatedMember(joining: change.nodeID)
                members[change.nodeID] = newcomer
                memberIDs.append(change.nodeID)
                newcomer.start(options: options)
                queue.schedule(.tick(change.nodeID), at: now + 1)
            }
        case .removeNode:
            if let removed = members[change.nodeID], !removed.removed {
                trace("member \(change.nodeID) removed")
                removed.removed = true
                if removed !== member && removed.isAlive { removed.crash() }
            }
        }
    }

    private func compactIfDue(_ member: SimulatedMember) {
        let interval = options.compactionInterval
        let storage = member.storage
        guard interval > 0, member.appliedIndex >= storage.currentSnapshot.index + LogIndex(interval) else { return }
        do {
            try storage.createSnapshot(
                at: member.appliedIndex, confState: member.confState,
                data: Fingerprint.encode(index: member.appliedIndex, chain: member.appliedChain))
            let keep = LogIndex(random.next(in: 0...5))
            let through = member.appliedIndex > keep ? member.appliedIndex - keep : 0
            if through > member.logOffset {
                try storage.compact(through: through)
                member.logChain.removeFirst(Int(through - member.logOffset))
                member.logOffset = through
            }
        } catch {
            fail("compaction failed on \(member.id): \(error)")
        }
    }

    private func answerRead(_ read: ReadState, on member: SimulatedMember) {
        guard let required = member.pendingReads.removeValue(forKey: read.context) else { return }
        statistics.readsAnswered += 1
        // Linearizability of reads: any write committed before the read began is covered by its index.
        if read.index < required {
            fail(
                "read \(quotedText(read.context)) on \(member.id) got index \(read.index),"
                    + " below \(required) committed before it began"
            )
        }
    }

    // MARK: Checks

    private func checkAfterReady(_ member: SimulatedMember, _ ready: Ready) {
        guard let node = member.node else { return }
        let hard = node.hardState
        if hard.commit < member.lastCommit {
            return fail("member \(member.id) commit index went back from \(member.lastCommit) to \(hard.commit)")
        }
        member.lastCommit = hard.commit
        if hard.commit > globalCommit.index {
            guard let term = node.term(at: hard.commit) else {
                return fail("member \(member.id) committed \(hard.commit) beyond its log")
            }
            globalCommit = (hard.commit, term)
        }
        guard node.softState.role == .leader else { return }
        // Election safety: at most one leader per term.
        if let other = leaderOfTerm[hard.term], other != member.id {
            return fail("election safety: \(other) and \(member.id) both lead term \(hard.term)")
        }
        if leaderOfTerm[hard.term] == nil {
            leaderOfTerm[hard.term] = member.id
            trace("\(member.id) leads term \(hard.term)")
            if options.crashes && !recovering && random.chance(0.1) {
                // A new leader dying at once, its first writes unfinished, is where persistence bugs show.
                queue.schedule(.crash(member.id, incarnation: member.incarnation), at: now + random.next(in: 0...3))
            }
            // Leader completeness: the new leader holds every committed entry.
            let status = node.status
            if let term = node.term(at: globalCommit.index) {
                if term != globalCommit.term {
                    fail(
                        "leader completeness: \(member.id) has term \(term) at committed index \(globalCommit.index),"
                            + " not \(globalCommit.term)"
                    )
                }
            } else if status.firstIndex <= globalCommit.index + 1 {
                fail(
                    "leader completeness: \(member.id) (log \(status.firstIndex)...\(status.lastIndex))"
                        + " lacks committed index \(globalCommit.index)"
                )
            }
        }
    }

    /// Log matching: two durable logs with an entry of the same index and term are identical up to it.
    private func recordLog(_ entries: [Entry], on member: SimulatedMember) {
        for entry in entries where entry.index > member.logOffset {
            let position = Int(entry.index - member.logOffset)
            guard position <= member.logChain.count else {
                return fail(
                    "member \(member.id) stored \(entry.index) after a gap"
                        + " (log ends at \(member.logOffset + LogIndex(member.logChain.count) - 1))"
                )
            }
            member.logChain.removeSubrange(position...)
            let chain = Fingerprint.chain(member.logChain[position - 1], entry)
            member.logChain.append(chain)
            let key = EntryID(index: entry.index, term: entry.term)
            if let known = entryChains[key] {
                if known != chain {
                    return fail(
                        "log matching: member \(member.id) has entry \(entry.term)/\(entry.index)"
                            + " with a different history"
                    )
                }
            } else {
                entryChains[key] = chain
            }
        }
    }

    private func fail(_ message: String) {
        if failure == nil {
            failure = message
            trace("FAILURE: \(message)")
        }
    }

    // MARK: Network

    private func send(_ message: Message) {
        guard let sender = members[message.from], !sender.removed else { return }
        statistics.messagesSent += 1
        if random.chance(dropRate) {
            if tracing { trace("drop \(message)") }
            reportIfSnapshot(message, succeeded: false)
            return
        }
        queue.schedule(.deliver(message), at: now + delay())
        if random.chance(duplicateRate) {
            queue.schedule(.deliver(message), at: now + delay())
        }
    }

    private func delay() -> Int {
        let straggler = random.chance(0.05)
        return random.next(in: 1...(straggler ? 5 * options.maxDelay : options.maxDelay))
    }

    private func deliver(_ message: Message) {
        guard let target = members[message.to], target.isAlive, !target.removed,
            let sender = members[message.from], !sender.removed,
            !cut.contains(Link(from: message.from, to: message.to))
        else {
            if tracing { trace("lost \(message)") }
            reportIfSnapshot(message, succeeded: false)
            return
        }
        if tracing { trace("deliver \(message)") }
        target.node!.step(message)
        processReadies(target)
        reportIfSnapshot(message, succeeded: true)
    }

    private func reportIfSnapshot(_ message: Message, succeeded: Bool) {
        guard case .snapshot = message.kind else { return }
        if succeeded { statistics.snapshotsSent += 1 }
        queue.schedule(.snapshotReport(leader: message.from, member: message.to, succeeded: succeeded), at: now + 1)
    }

    // MARK: Faults and clients

    private var liveMembers: [SimulatedMember] {
        memberIDs.compactMap { members[$0] }.filter { $0.isAlive && !$0.removed }
    }

    private func currentLeader() -> SimulatedMember? {
        liveMembers.filter { $0.node!.softState.role == .leader }.max {
            $0.node!.hardState.term < $1.node!.hardState.term
        }
    }

    private func performAction() {
        var choices: [(weight: Int, action: () -> Void)] = [
            (40, proposeSome),
            (5, proposeBurst),
        ]
        if options.reads { choices.append((10, startRead)) }
        if options.crashes { choices.append((4, crashSome)) }
        if options.partitions { choices.append((4, partition)) }
        if options.leaderTransfers { choices.append((3, transferLeadership)) }
        if options.membershipChanges { choices.append((3, changeMembership)) }
        let total = choices.reduce(0) { $0 + $1.weight }
        var pick = random.next(in: 0...(total - 1))
        for choice in choices {
            if pick < choice.weight {
                choice.action()
                return
            }
            pick -= choice.weight
        }
    }

    private func randomElement<T>(_ items: [T]) -> T? {
        items.isEmpty ? nil : items[random.next(in: 0...(items.count - 1))]
    }

    private func proposeSome() {
        guard let member = randomElement(liveMembers) else { return }
        proposalCounter += 1
        let data = Array("p\(proposalCounter)".utf8)
        if (try? member.node!.propose(data)) != nil { statistics.proposalsAccepted += 1 }
        processReadies(member)
    }

    private func proposeBurst() {
        guard let leader = currentLeader() else { return }
        let count = random.next(in: 2...20)
        let batch = (0..<count).map { Array("p\(proposalCounter + $0 + 1)".utf8) }
        proposalCounter += count
        if random.chance(0.5) {
            if (try? leader.node!.propose(contentsOf: batch)) != nil { statistics.proposalsAccepted += count }
        } else {
            for data in batch where (try? leader.node!.propose(data)) != nil { statistics.proposalsAccepted += 1 }
        }
        processReadies(leader)
    }

    private func startRead() {
        guard let member = randomElement(liveMembers) else { return }
        readCounter += 1
        let context = Array("r\(readCounter)".utf8)
        guard (try? member.node!.readIndex(context: context)) != nil else { return }
        member.pendingReads[context] = globalCommit.index
        statistics.readsStarted += 1
        processReadies(member)
    }

    private func crashSome() {
        // Half the time, pick a member in the middle of a write.
        let writing = liveMembers.filter { !$0.pendingWrites.isEmpty }
        let candidates = !writing.isEmpty && random.chance(0.5) ? writing : liveMembers
        guard let member = randomElement(candidates) else { return }
        crash(member)
        queue.schedule(.restart(member.id, incarnation: member.incarnation), at: now + random.next(in: 20...1_000))
    }

    private func partition() {
        let ids = memberIDs.filter { members[$0]!.removed == false }
        guard ids.count > 1 else { return }
        partitionGeneration += 1
        cut = []
        switch random.next(in: 0...2) {
        case 0:
            let isolated = randomElement(ids)!
            trace("partition: isolate \(isolated)")
            for other in ids where other != isolated {
                cut.insert(Link(from: isolated, to: other))
                cut.insert(Link(from: other, to: isolated))
            }
        case 1:
            let side = Set(ids.filter { _ in random.chance(0.5) })
            trace("partition: \(side.sorted()) | \(ids.filter { !side.contains($0) })")
            for a in ids where side.contains(a) {
                for b in ids where !side.contains(b) {
                    cut.insert(Link(from: a, to: b))
                    cut.insert(Link(from: b, to: a))
                }
            }
        default:
            // Asymmetric: some members can send to others that cannot answer.
            for a in ids {
                for b in ids where a != b && random.chance(0.3) {
                    cut.insert(Link(from: a, to: b))
                }
            }
            trace("partition: asymmetric, \(cut.count) directed links cut")
        }
        queue.schedule(.heal(generation: partitionGeneration), at: now + random.next(in: 50...1_500))
        statistics.partitions += 1
    }

    private func transferLeadership() {
        guard let leader = currentLeader() else { return }
        let voters = leader.node!.confState.voters.filter { $0 != leader.id }
        guard let target = randomElement(voters) else { return }
        trace("transfer leadership \(leader.id) -> \(target)")
        try? leader.node!.transferLeadership(to: target)
        statistics.transfers += 1
        processReadies(leader)
    }

    private func changeMembership() {
        guard let leader = currentLeader() else { return }
        let state = leader.node!.confState
        var options: [ConfigChange] = []
        if state.members.count < self.options.members + 2 {
            options.append(ConfigChange(.addLearner, nextNewMemberID))
        }
        for learner in state.learners {
            options.append(ConfigChange(.addVoter, learner))
            options.append(ConfigChange(.removeNode, learner))
        }
        if state.voters.count > 3 {
            for voter in state.voters { options.append(ConfigChange(.removeNode, voter)) }
        }
        guard let change = randomElement(options) else { return }
        if (try? leader.node!.proposeConfigChange(change)) != nil {
            trace("propose \(change) at \(leader.id)")
            if change.kind == .addLearner && change.nodeID == nextNewMemberID { nextNewMemberID += 1 }
        }
        processReadies(leader)
    }

    // MARK: Recovery

    private func beginRecovery() {
        recovering = true
        trace("recovery: heal, restart, stop faults")
        cut = []
        partitionGeneration += 1
        dropRate = 0
        duplicateRate = 0
        for id in memberIDs {
            let member = members[id]!
            if !member.isAlive && !member.removed { restart(member) }
        }
        queue.schedule(.proposeFinal, at: now + 1)
    }

    private func hasConverged() -> Bool {
        guard let finalIndex else { return false }
        return liveMembers.allSatisfy { $0.appliedIndex >= finalIndex }
    }

    private func convergenceState() -> String {
        let states = memberIDs.compactMap { members[$0] }.map { member in
            guard let node = member.node else { return "\(member.id): \(member.removed ? "removed" : "down")" }
            return node.status.description
        }
        return "final=\(finalIndex.map(String.init) ?? "-")\n" + states.joined(separator: "\n")
    }

    private func trace(_ line: @autoclosure () -> String) {
        guard tracing else { return }
        traceLines.append("t=\(now) \(line())")
    }
}

private func quotedText(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
