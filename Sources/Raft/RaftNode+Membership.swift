extension RaftNode {
    /// The application reached a committed `.configChange` entry: the change takes effect here now. Returns
    /// the membership to store with the applied state (and in snapshots).
    ///
    /// A leader that is no longer a voter shares the commit index one last time and steps down.
    public mutating func applyConfigChange(_ change: ConfigChange) -> ConfState {
        let oldState = tracker.confState
        let newState = oldState.applying(change)
        tracker.setConfState(newState, lastIndex: log.lastIndex)
        guard role == .leader else { return newState }
        if !newState.isVoter(id) {
            for member in tracker.members where member != id {
                sendAppend(to: member, sendIfEmpty: tracker[member]!.canBumpCommit(log.committed))
            }
            becomeFollower(term: term, leader: nil)
            return newState
        }
        if let transferee = leadTransferee, !newState.isVoter(transferee) {
            leadTransferee = nil
        }
        // The quorum may have shrunk, and new members need their first append.
        if maybeCommit() {
            broadcastAppend()
        } else {
            for member in tracker.members where member != id {
                // A new member is probed at once rather than at the next heartbeat.
                sendAppend(to: member, sendIfEmpty: !oldState.contains(member))
            }
        }
        return newState
    }

    /// Hands leadership to `transferee` (§3.10 of the thesis): bring its log up to date, then tell it to
    /// start an election at once. Proposals are refused meanwhile; the attempt lapses after an election
    /// timeout.
    mutating func handleTransferLeader(to transferee: NodeID) {
        guard let progress = tracker[transferee], !progress.isLearner else { return }
        if let current = leadTransferee {
            if current == transferee { return }
            leadTransferee = nil
        }
        guard transferee != id else { return }
        electionElapsed = 0
        leadTransferee = transferee
        if progress.match == log.lastIndex {
            send(to: transferee, .timeoutNow)
        } else {
            sendAppend(to: transferee, sendIfEmpty: true)
        }
    }
}
