/// The role a member plays in its current term.
public enum RaftRole: String, Hashable, Sendable, CustomStringConvertible {
    case follower
    /// Asking whether it could win an election, without raising its term.
    case preCandidate
    case candidate
    case leader

    public var description: String { rawValue }
}
