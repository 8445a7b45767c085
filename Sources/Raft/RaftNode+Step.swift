extension RaftNode {
    /// A message from another member (or forwarded by one) arrived. Messages for another member, from an
    /// older term, or that make no sense in the current role are dropped: the network may deliver anything.
    public mutating func step(_ message: Message) {
        guard message.to == id else { return }
        if message.term == 0 {
            stepForwarded(message)
            return
        }
        if message.term > term {
            guard handleHigherTerm(message) else { return }
        } else if message.term < term {
            handleLowerTerm(message)
            return
        }
        if case .vote(let lastIndex, let lastTerm, let preVote, _) = message.kind {
            handleVoteRequest(message, lastIndex: lastIndex, lastTerm: lastTerm, preVote: preVote)
            return
        }
        switch role {
        case .leader: stepLeader(message)
        case .preCandidate, .candidate: stepCandidate(message)
        case .follower: stepFollower(message)
        }
    }

    /// Requests that carry no term: treated as if made locally on this member.
    private mutating func stepForwarded(_ message: Message) {
        switch message.kind {
        case .propose(let entries):
            try? propose(entries, from: message.from)
        case .readIndex(let context):
            switch role {
            case .leader: handleReadIndex(from: message.from, context: context)
            case .follower, .preCandidate, .candidate: break
            }
        case .transferLeader(let transferee):
            switch role {
            case .leader: handleTransferLeader(to: transferee)
            case .follower, .preCandidate, .candidate: break
            }
        case .append, .appendResponse, .vote, .voteResponse, .heartbeat, .heartbeatResponse, .snapshot, .timeoutNow,
            .readIndexResponse:
            break
        }
    }

    /// A message from a later term. Returns whether to go on handling it.
    private mutating func handleHigherTerm(_ message: Message) -> Bool {
        if case .vote(_, _, _, let transfer) = message.kind {
            // Inside the lease of a leader we hear from, a vote request is from a member that was cut off
            // (or removed): ignore it rather than depose the leader (§6 of the thesis, "disruptive servers").
            let inLease = config.checkQuorum && leader != nil && electionElapsed < config.electionTick
            if inLease && !transfer { return false }
        }
        switch message.kind {
        case .vote(_, _, true, _):
            // A pre-vote never changes the term.
            break
        case .voteResponse(true, true):
            // A granted pre-vote: the term is raised by the election that follows.
            break
        case .append, .heartbeat, .snapshot:
            becomeFollower(term: message.term, leader: message.from)
        case .vote, .voteResponse, .appendResponse, .heartbeatResponse, .timeoutNow, .transferLeader, .readIndex,
            .readIndexResponse, .propose:
            becomeFollower(term: message.term, leader: nil)
        }
        return true
    }

    /// A message from an earlier term: dropped, but a stale leader or pre-candidate is told the term.
    private mutating func handleLowerTerm(_ message: Message) {
        switch message.kind {
        case .append, .heartbeat:
            // Without this, a leader cut off by a partition and back would not learn that it was replaced
            // while pre-vote or check-quorum stop this member from raising its term against it.
            if config.checkQuorum || config.preVote {
                send(to: message.from, .appendResponse(index: 0, rejection: nil))
            }
        case .vote(_, _, true, _):
            send(to: message.from, .voteResponse(granted: false, preVote: true))
        case .vote, .voteResponse, .appendResponse, .heartbeatResponse, .snapshot, .timeoutNow, .transferLeader,
            .readIndex, .readIndexResponse, .propose:
            break
        }
    }

    /// §5.2, §5.4.1: grant a vote to a candidate whose log is at least as up-to-date, once per term.
    private mutating func handleVoteRequest(_ message: Message, lastIndex: LogIndex, lastTerm: Term, preVote: Bool) {
        let canVote =
            vote == message.from || (vote == nil && leader == nil) || (preVote && message.term > term)
        if canVote && log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm) {
            // The answer carries the term asked for, so that a pre-candidate can count it.
            send(
                Message(
                    from: id, to: message.from, term: message.term, kind: .voteResponse(granted: true, preVote: preVote)
                ))
            if !preVote {
                electionElapsed = 0
                vote = message.from
            }
        } else {
            send(to: message.from, .voteResponse(granted: false, preVote: preVote))
        }
    }

    private mutating func stepFollower(_ message: Message) {
        switch message.kind {
        case .append(let previous, let previousTerm, let entries, let commit):
            electionElapsed = 0
            leader = message.from
            handleAppend(
                from: message.from, previous: previous, previousTerm: previousTerm, entries: entries, commit: commit)
        case .heartbeat(let commit, let context):
            electionElapsed = 0
            leader = message.from
            handleHeartbeat(from: message.from, commit: commit, context: context)
        case .snapshot(let snapshot):
            electionElapsed = 0
            leader = message.from
            handleSnapshot(from: message.from, snapshot)
        case .timeoutNow:
            hup(transfer: true)
        case .readIndexResponse(let index, let context):
            readStates.append(ReadState(index: index, context: context))
        case .appendResponse, .vote, .voteResponse, .heartbeatResponse, .transferLeader, .readIndex, .propose:
            break
        }
    }

    private mutating func stepCandidate(_ message: Message) {
        switch message.kind {
        case .append(let previous, let previousTerm, let entries, let commit):
            becomeFollower(term: message.term, leader: message.from)
            handleAppend(
                from: message.from, previous: previous, previousTerm: previousTerm, entries: entries, commit: commit)
        case .heartbeat(let commit, let context):
            becomeFollower(term: message.term, leader: message.from)
            handleHeartbeat(from: message.from, commit: commit, context: context)
        case .snapshot(let snapshot):
            becomeFollower(term: message.term, leader: message.from)
            handleSnapshot(from: message.from, snapshot)
        case .voteResponse(let granted, let preVote):
            guard preVote == (role == .preCandidate) else { return }
            tracker.recordVote(from: message.from, granted: granted)
            switch tracker.voteResult {
            case .won:
                if role == .preCandidate {
                    startElection(transfer: false)
                } else {
                    becomeLeader()
                    broadcastAppend()
                }
            case .lost:
                becomeFollower(term: term, leader: nil)
            case .pending:
                break
            }
        case .appendResponse, .vote, .heartbeatResponse, .timeoutNow, .transferLeader, .readIndex,
            .readIndexResponse, .propose:
            break
        }
    }

    private mutating func stepLeader(_ message: Message) {
        switch message.kind {
        case .appendResponse(let index, let rejection):
            handleAppendResponse(from: message.from, index: index, rejection: rejection)
        case .heartbeatResponse(let context):
            handleHeartbeatResponse(from: message.from, context: context)
        case .transferLeader(let transferee):
            handleTransferLeader(to: transferee)
        case .readIndex(let context):
            handleReadIndex(from: message.from, context: context)
        case .propose(let entries):
            try? propose(entries, from: message.from)
        case .append, .heartbeat, .snapshot:
            // Another leader in this term would break election safety; the message cannot be genuine.
            break
        case .vote, .voteResponse, .timeoutNow, .readIndexResponse:
            break
        }
    }

    /// Appends proposals on a leader, or forwards them to it.
    mutating func propose(_ entries: [Entry], from origin: NodeID) throws(RaftError) {
        switch role {
        case .leader:
            guard tracker[id] != nil else { throw .notMember }
            guard leadTransferee == nil else { throw .leadershipTransferInProgress }
            var entries = entries
            let changes = entries.indices.filter { entries[$0].kind == .configChange }
            if let position = changes.first {
                // One change at a time: the previous one must be applied first.
                if pendingConfIndex > log.applied || changes.count > 1 { throw .configChangeInProgress }
                pendingConfIndex = log.lastIndex + LogIndex(position) + 1
            }
            appendEntries(&entries)
            broadcastAppend()
        case .follower:
            guard let leader, config.forwardProposals, origin == id else { throw .noLeader }
            send(Message(from: id, to: leader, term: 0, kind: .propose(entries: entries)))
        case .preCandidate, .candidate:
            throw .noLeader
        }
    }
}
