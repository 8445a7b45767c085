/// The state a member must write to stable storage before it sends the messages that depend on it: the
/// current term, the vote cast in that term, and the commit index it knows of.
public struct HardState: Hashable, Sendable, CustomStringConvertible {
    public var term: Term
    /// The candidate this member voted for in `term`, if any.
    public var vote: NodeID?
    public var commit: LogIndex

    public init(term: Term = 0, vote: NodeID? = nil, commit: LogIndex = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    public var description: String {
        "term=\(term) vote=\(vote.map(String.init) ?? "-") commit=\(commit)"
    }
}
