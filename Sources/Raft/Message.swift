/// A message between members of a group. The driver carries it from `from` to `to` and passes it to
/// `RaftNode.step(_:)` there; it may be lost, duplicated, delayed or reordered without harm to safety.
public struct Message: Hashable, Sendable {
    public var from: NodeID
    public var to: NodeID
    /// The sender's term, or the term asked for by a vote request. Zero for requests forwarded to a leader
    /// (`propose`, `readIndex`), which are handled as if they were local.
    public var term: Term
    public var kind: Kind

    public init(from: NodeID, to: NodeID, term: Term, kind: Kind) {
        self.from = from
        self.to = to
        self.term = term
        self.kind = kind
    }

    public enum Kind: Hashable, Sendable {
        /// Leader → follower: entries following `previous` (whose term is `previousTerm`), and the commit index.
        case append(previous: LogIndex, previousTerm: Term, entries: [Entry], commit: LogIndex)
        /// Follower → leader: the log matches up to `index` or, when rejected, does not match at `index`;
        /// `hint` then names the last entry the follower has at or below `index` whose term is not above the
        /// leader's term at that index, so the leader can skip a whole term per round trip.
        case appendResponse(index: LogIndex, rejection: Rejection?)
        /// Candidate → voter: a (pre-)vote request for `term`, with the candidate's last log position.
        case vote(lastIndex: LogIndex, lastTerm: Term, preVote: Bool, transfer: Bool)
        /// Voter → candidate.
        case voteResponse(granted: Bool, preVote: Bool)
        /// Leader → follower: keeps the follower's election timer from firing and carries the commit index
        /// the follower is known to have entries for; `context` identifies a pending read.
        case heartbeat(commit: LogIndex, context: [UInt8]?)
        /// Follower → leader.
        case heartbeatResponse(context: [UInt8]?)
        /// Leader → follower whose needed entries have been compacted.
        case snapshot(Snapshot)
        /// Leader → transferee: start an election now, even inside the current leader's lease.
        case timeoutNow
        /// Anyone → leader: hand leadership to `transferee`.
        case transferLeader(transferee: NodeID)
        /// Follower → leader: a read request to be given a read index.
        case readIndex(context: [UInt8])
        /// Leader → follower: the index a read must wait for before it is served.
        case readIndexResponse(index: LogIndex, context: [UInt8])
        /// Follower → leader: proposals forwarded from the follower's clients.
        case propose(entries: [Entry])
    }

    /// Why a follower refused entries: the last entry it has that may match (its index and term).
    public struct Rejection: Hashable, Sendable {
        public var hintIndex: LogIndex
        public var hintTerm: Term

        public init(hintIndex: LogIndex, hintTerm: Term) {
            self.hintIndex = hintIndex
            self.hintTerm = hintTerm
        }
    }
}

extension Message: CustomStringConvertible {
    public var description: String {
        let head = "\(from)->\(to)"
        switch kind {
        case .append(let previous, let previousTerm, let entries, let commit):
            let list = entries.isEmpty ? "" : " entries=[" + entries.map(\.description).joined(separator: ", ") + "]"
            return "\(head) Append term=\(term) prev=\(previousTerm)/\(previous) commit=\(commit)\(list)"
        case .appendResponse(let index, let rejection):
            if let rejection {
                return
                    "\(head) AppendResponse term=\(term) index=\(index) rejected"
                    + " hint=\(rejection.hintTerm)/\(rejection.hintIndex)"
            }
            return "\(head) AppendResponse term=\(term) index=\(index)"
        case .vote(let lastIndex, let lastTerm, let preVote, let transfer):
            return "\(head) \(preVote ? "PreVote" : "Vote") term=\(term) last=\(lastTerm)/\(lastIndex)"
                + (transfer ? " transfer" : "")
        case .voteResponse(let granted, let preVote):
            return "\(head) \(preVote ? "PreVoteResponse" : "VoteResponse") term=\(term) "
                + (granted ? "granted" : "rejected")
        case .heartbeat(let commit, let context):
            return "\(head) Heartbeat term=\(term) commit=\(commit)" + (context.map { " ctx=" + quoted($0) } ?? "")
        case .heartbeatResponse(let context):
            return "\(head) HeartbeatResponse term=\(term)" + (context.map { " ctx=" + quoted($0) } ?? "")
        case .snapshot(let snapshot):
            return "\(head) Snapshot term=\(term) snapshot=\(snapshot)"
        case .timeoutNow:
            return "\(head) TimeoutNow term=\(term)"
        case .transferLeader(let transferee):
            return "\(head) TransferLeader term=\(term) transferee=\(transferee)"
        case .readIndex(let context):
            return "\(head) ReadIndex term=\(term) ctx=\(quoted(context))"
        case .readIndexResponse(let index, let context):
            return "\(head) ReadIndexResponse term=\(term) index=\(index) ctx=\(quoted(context))"
        case .propose(let entries):
            return "\(head) Propose term=\(term) entries=[" + entries.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
