extension RaftNode {
    // MARK: Leader

    /// Gives `entries` this term and the next indexes, and appends them to the leader's log. The leader's own
    /// progress advances only when they are persisted (`persisted(through:)`).
    mutating func appendEntries(_ entries: inout [Entry]) {
        let lastIndex = log.lastIndex
        for position in entries.indices {
            entries[position].term = term
            entries[position].index = lastIndex + LogIndex(position) + 1
        }
        log.append(entries)
    }

    /// Commits what a quorum has durably stored, if it is of this term. Returns whether the commit advanced.
    mutating func maybeCommit() -> Bool {
        guard log.maybeCommit(index: tracker.committedIndex(), term: term) else { return false }
        releasePendingReadIndexRequests()
        return true
    }

    /// Sends every member what it lacks, or an empty append carrying the commit index.
    mutating func broadcastAppend() {
        for member in tracker.members where member != id {
            sendAppends(to: member)
        }
    }

    /// Sends one append (even empty), then as many more as the in-flight window allows.
    mutating func sendAppends(to member: NodeID) {
        guard sendAppend(to: member, sendIfEmpty: true) else { return }
        while sendAppend(to: member, sendIfEmpty: false) {}
    }

    /// Sends the entries `member` needs next, or a snapshot when they are compacted. Returns whether a
    /// message was sent.
    @discardableResult
    mutating func sendAppend(to member: NodeID, sendIfEmpty: Bool) -> Bool {
        guard let progress = tracker[member], !progress.isPaused else { return false }
        let previous = progress.next - 1
        let previousTerm: Term
        var entries: [Entry]
        do {
            previousTerm = try log.term(of: previous)
            entries = try log.entries(from: progress.next, maxSize: config.maxSizePerMessage)
        } catch {
            switch error {
            case .compacted:
                return sendSnapshot(to: member)
            case .unavailable, .snapshotTemporarilyUnavailable, .failure:
                preconditionFailure("member \(member) is at \(progress.next), beyond the log: \(error)")
            }
        }
        if entries.count > config.maxEntriesPerMessage {
            entries.removeLast(entries.count - config.maxEntriesPerMessage)
        }
        if entries.isEmpty && !sendIfEmpty { return false }
        send(
            to: member,
            .append(previous: previous, previousTerm: previousTerm, entries: entries, commit: log.committed))
        tracker[member]!.sentEntries(count: entries.count, bytes: entries.reduce(0) { $0 + $1.byteSize })
        tracker[member]!.sentCommit(log.committed)
        return true
    }

    private mutating func sendSnapshot(to member: NodeID) -> Bool {
        guard tracker[member]!.recentActive else { return false }
        let snapshot: Snapshot
        do {
            snapshot = try log.storage.snapshot()
        } catch {
            switch error {
            case .snapshotTemporarilyUnavailable: return false
            case .compacted, .unavailable, .failure: preconditionFailure("snapshot unavailable: \(error)")
            }
        }
        precondition(!snapshot.isEmpty, "the log is compacted but there is no snapshot")
        send(to: member, .snapshot(snapshot))
        tracker[member]!.becomeSnapshot(index: snapshot.index)
        return true
    }

    mutating func broadcastHeartbeat(context: [UInt8]?) {
        for member in tracker.members where member != id {
            // Only what the member is known to have may be committed there.
            let commit = min(tracker[member]!.match, log.committed)
            send(to: member, .heartbeat(commit: commit, context: context))
            tracker[member]!.sentCommit(commit)
        }
    }

    mutating func handleAppendResponse(from member: NodeID, index: LogIndex, rejection: Message.Rejection?) {
        guard tracker[member] != nil else { return }
        tracker[member]!.recentActive = true
        if let rejection {
            // Skip back to where the logs may match: past every entry of a term the leader does not have.
            var hint = min(rejection.hintIndex, log.lastIndex)
            if rejection.hintTerm > 0 {
                hint = log.findConflictByTerm(index: hint, term: rejection.hintTerm).index
            }
            guard tracker[member]!.maybeDecrease(rejected: index, hint: hint) else { return }
            if tracker[member]!.state == .replicate { tracker[member]!.becomeProbe() }
            sendAppends(to: member)
            return
        }
        guard tracker[member]!.maybeUpdate(index) else { return }
        switch tracker[member]!.state {
        case .probe:
            tracker[member]!.becomeReplicate()
        case .snapshot:
            if tracker[member]!.match + 1 >= log.firstIndex {
                tracker[member]!.becomeProbe()
                tracker[member]!.becomeReplicate()
            }
        case .replicate:
            tracker[member]!.inflights.free(through: index)
        }
        if maybeCommit() {
            broadcastAppend()
        } else if tracker[member]!.canBumpCommit(log.committed) {
            // The member may have missed the commit index while it was paused.
            sendAppend(to: member, sendIfEmpty: true)
        }
        while sendAppend(to: member, sendIfEmpty: false) {}
        if member == leadTransferee && tracker[member]!.match == log.lastIndex {
            send(to: member, .timeoutNow)
        }
    }

    mutating func handleHeartbeatResponse(from member: NodeID, context: [UInt8]?) {
        guard tracker[member] != nil else { return }
        tracker[member]!.recentActive = true
        tracker[member]!.probeSent = false
        if tracker[member]!.state == .replicate && tracker[member]!.inflights.isFull {
            // An append may have been lost: let one more through.
            tracker[member]!.inflights.freeFirst()
        }
        if tracker[member]!.match < log.lastIndex {
            // Even with nothing new to send: an empty append finds out whether earlier ones were lost.
            sendAppend(to: member, sendIfEmpty: true)
        }
        if let context {
            acknowledgeReadIndex(context: context, from: member)
        }
    }

    // MARK: Follower

    mutating func handleAppend(
        from sender: NodeID, previous: LogIndex, previousTerm: Term, entries: [Entry], commit: LogIndex
    ) {
        if previous < log.committed {
            // Everything up to the commit index is known to match: say so, whatever the message holds.
            send(to: sender, .appendResponse(index: log.committed, rejection: nil))
            return
        }
        if let lastNew = log.maybeAppend(
            previous: previous, previousTerm: previousTerm, commit: commit, entries: entries)
        {
            send(to: sender, .appendResponse(index: lastNew, rejection: nil))
            return
        }
        // §5.3, with the optimisation at its end: point the leader at the last entry that may match.
        let hint = log.findConflictByTerm(index: min(previous, log.lastIndex), term: previousTerm)
        send(
            to: sender,
            .appendResponse(index: previous, rejection: Message.Rejection(hintIndex: hint.index, hintTerm: hint.term)))
    }

    mutating func handleHeartbeat(from sender: NodeID, commit: LogIndex, context: [UInt8]?) {
        log.commitTo(min(commit, log.lastIndex))
        send(to: sender, .heartbeatResponse(context: context))
    }

    mutating func handleSnapshot(from sender: NodeID, _ snapshot: Snapshot) {
        if restore(snapshot) {
            send(to: sender, .appendResponse(index: log.lastIndex, rejection: nil))
        } else {
            send(to: sender, .appendResponse(index: log.committed, rejection: nil))
        }
    }

    /// Replaces the log with `snapshot` unless the log already holds its last entry. Returns whether it did.
    private mutating func restore(_ snapshot: Snapshot) -> Bool {
        guard snapshot.index > log.committed else { return false }
        if log.matchTerm(snapshot.index, snapshot.term) {
            // The log already has the entry: only the commit index moves.
            log.commitTo(snapshot.index)
            return false
        }
        log.restore(snapshot)
        tracker.setConfState(snapshot.confState, lastIndex: log.lastIndex)
        return true
    }
}
