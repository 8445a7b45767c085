extension RaftNode {
    // MARK: Time

    mutating func tickElection() {
        electionElapsed += 1
        if isPromotable && electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            hup(transfer: false)
        }
    }

    mutating func tickHeartbeat() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= config.electionTick {
            electionElapsed = 0
            if config.checkQuorum && !tracker.checkQuorumActive(selfID: id) {
                // Cut off from a quorum: stop serving rather than answer reads or accept writes in vain.
                becomeFollower(term: term, leader: nil)
                return
            }
            if leadTransferee != nil {
                // The transfer did not complete within an election timeout.
                leadTransferee = nil
            }
        }
        if heartbeatElapsed >= config.heartbeatTick {
            heartbeatElapsed = 0
            broadcastHeartbeat(context: readIndexQueue.lastContext)
        }
    }

    mutating func resetRandomizedElectionTimeout() {
        randomizedElectionTimeout =
            config.electionTick + Int(random.next(below: UInt64(config.electionTick)))
    }

    // MARK: Transitions

    /// Starts a term's bookkeeping afresh (votes, progress, timers); the vote is kept only within a term.
    mutating func reset(term newTerm: Term) {
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        leader = nil
        electionElapsed = 0
        heartbeatElapsed = 0
        resetRandomizedElectionTimeout()
        leadTransferee = nil
        tracker.resetVotes()
        tracker.resetProgress(lastIndex: log.lastIndex, selfID: id, selfMatch: log.persisted)
        pendingConfIndex = 0
        readIndexQueue.reset()
        pendingReadIndexRequests = []
    }

    mutating func becomeFollower(term newTerm: Term, leader newLeader: NodeID?) {
        reset(term: newTerm)
        role = .follower
        leader = newLeader
    }

    mutating func becomePreCandidate() {
        precondition(role != .leader, "a leader cannot become a pre-candidate")
        // The term and vote stay: a pre-vote changes nothing that must be persisted.
        tracker.resetVotes()
        leader = nil
        role = .preCandidate
    }

    mutating func becomeCandidate() {
        precondition(role != .leader, "a leader cannot become a candidate")
        reset(term: term + 1)
        vote = id
        role = .candidate
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "only a candidate becomes leader")
        reset(term: term)
        leader = id
        role = .leader
        tracker[id]?.becomeReplicate()
        tracker[id]?.recentActive = true
        // §5.4.2, §8: an entry of the new term lets the leader commit what earlier leaders left, and learn
        // the commit index for reads.
        var noOp = [Entry(term: 0, index: 0)]
        appendEntries(&noOp)
        // Any membership change in the log may still be unapplied: allow a new one only after this term's
        // first entry is applied (which also avoids the single-change leader-change hazard).
        pendingConfIndex = log.lastIndex
    }

    // MARK: Elections

    /// The election timer fired, or leadership is being handed to this member (`transfer`).
    mutating func hup(transfer: Bool) {
        guard role != .leader, isPromotable, !hasUnappliedConfigChanges() else { return }
        if config.preVote && !transfer {
            becomePreCandidate()
            tracker.recordVote(from: id, granted: true)
            if tracker.voteResult == .won {
                startElection(transfer: false)
                return
            }
            requestVotes(term: term + 1, preVote: true, transfer: false)
        } else {
            startElection(transfer: transfer)
        }
    }

    /// Becomes a candidate for the next term and asks for votes. Its own vote counts once it is durable.
    mutating func startElection(transfer: Bool) {
        becomeCandidate()
        outboxAfterPersist.append(
            Message(from: id, to: id, term: term, kind: .voteResponse(granted: true, preVote: false)))
        requestVotes(term: term, preVote: false, transfer: transfer)
    }

    private mutating func requestVotes(term voteTerm: Term, preVote: Bool, transfer: Bool) {
        let lastIndex = log.lastIndex
        let lastTerm = log.lastTerm
        for voter in tracker.confState.voters where voter != id {
            send(
                Message(
                    from: id, to: voter, term: voteTerm,
                    kind: .vote(lastIndex: lastIndex, lastTerm: lastTerm, preVote: preVote, transfer: transfer)))
        }
    }

    /// Whether committed entries not yet applied include a membership change: campaigning then could use a
    /// membership that is about to change.
    func hasUnappliedConfigChanges() -> Bool {
        guard log.committed > log.applied else { return false }
        guard let pending = try? log.slice(log.applied + 1, log.committed + 1, maxSize: .max) else { return false }
        return pending.contains { $0.kind == .configChange }
    }
}
