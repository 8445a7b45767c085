/// The membership in force and, on a leader, the progress of every member; on a candidate, the votes.
struct ProgressTracker: Sendable {
    private(set) var confState: ConfState
    private(set) var progress: [NodeID: Progress] = [:]
    private(set) var votes: [NodeID: Bool] = [:]
    let maxInflight: Int
    let maxInflightBytes: Int

    init(confState: ConfState, maxInflight: Int, maxInflightBytes: Int) {
        self.confState = confState
        self.maxInflight = maxInflight
        self.maxInflightBytes = maxInflightBytes
    }

    /// Every member, in id order.
    var members: [NodeID] { confState.members }

    subscript(id: NodeID) -> Progress? {
        get { progress[id] }
        _modify { yield &progress[id] }
    }

    /// Replaces the membership, keeping the progress of members that stay. New members start probing
    /// after `lastIndex`.
    mutating func setConfState(_ newState: ConfState, lastIndex: LogIndex) {
        confState = newState
        var updated: [NodeID: Progress] = [:]
        for id in newState.members {
            if var existing = progress[id] {
                existing.isLearner = newState.isLearner(id)
                updated[id] = existing
            } else {
                var fresh = Progress(
                    next: lastIndex + 1, isLearner: newState.isLearner(id),
                    maxInflight: maxInflight, maxInflightBytes: maxInflightBytes)
                // A new member counts as active so that check-quorum does not depose the leader at once.
                fresh.recentActive = true
                updated[id] = fresh
            }
        }
        progress = updated
        votes = votes.filter { newState.isVoter($0.key) }
    }

    /// Resets every member's progress, as a new term begins.
    mutating func resetProgress(lastIndex: LogIndex, selfID: NodeID, selfMatch: LogIndex) {
        progress = [:]
        for id in confState.members {
            var fresh = Progress(
                next: lastIndex + 1, isLearner: confState.isLearner(id),
                maxInflight: maxInflight, maxInflightBytes: maxInflightBytes)
            if id == selfID { fresh.match = selfMatch }
            progress[id] = fresh
        }
    }

    /// The highest index stored on a quorum of voters.
    func committedIndex() -> LogIndex {
        let voters = confState.voters
        guard !voters.isEmpty else { return 0 }
        let matches = voters.map { progress[$0]?.match ?? 0 }.sorted(by: >)
        return matches[confState.quorum - 1]
    }

    // MARK: Votes

    mutating func resetVotes() {
        votes = [:]
    }

    mutating func recordVote(from id: NodeID, granted: Bool) {
        guard confState.isVoter(id), votes[id] == nil else { return }
        votes[id] = granted
    }

    enum VoteResult { case pending, won, lost }

    var voteResult: VoteResult { result(of: votes) }

    /// Whether the voters answering yes (or no) in `answers` make a quorum.
    func result(of answers: [NodeID: Bool]) -> VoteResult {
        var granted = 0
        var rejected = 0
        for id in confState.voters {
            switch answers[id] {
            case true?: granted += 1
            case false?: rejected += 1
            case nil: break
            }
        }
        if granted >= confState.quorum { return .won }
        if confState.voters.count - rejected < confState.quorum { return .lost }
        return .pending
    }

    func votesDescription() -> (granted: Int, rejected: Int) {
        (votes.values.filter { $0 }.count, votes.values.filter { !$0 }.count)
    }

    /// Whether a quorum of voters has been heard from since the last check; clears the marks of everyone
    /// but `selfID` for the next round.
    mutating func checkQuorumActive(selfID: NodeID) -> Bool {
        var active = 0
        for id in confState.voters where id == selfID || progress[id]?.recentActive == true {
            active += 1
        }
        for id in confState.members where id != selfID {
            progress[id]?.recentActive = false
        }
        return active >= confState.quorum
    }
}
