/// The state machine as of one log index, with the membership in force there. Installing it replaces
/// every log entry up to `index`.
public struct Snapshot: Hashable, Sendable, CustomStringConvertible {
    public var index: LogIndex
    public var term: Term
    public var confState: ConfState
    /// The application's state at `index`, opaque to Raft.
    public var data: [UInt8]

    public init(index: LogIndex = 0, term: Term = 0, confState: ConfState = ConfState(), data: [UInt8] = []) {
        self.index = index
        self.term = term
        self.confState = confState
        self.data = data
    }

    /// A snapshot at index 0 stands for "no snapshot".
    public var isEmpty: Bool { index == 0 }

    public var description: String { "\(term)/\(index) \(confState)" }
}

extension Snapshot {
    public static let bootstrapIndex: LogIndex = 1
    public static let bootstrapTerm: Term = 1

    /// The snapshot every initial member of a new group starts from: index 1, term 1, the initial membership
    /// and the application's initial state. A membership that is not in the log must be in a snapshot, or a
    /// member added later would never learn it.
    public static func bootstrap(_ confState: ConfState, data: [UInt8] = []) -> Snapshot {
        Snapshot(index: bootstrapIndex, term: bootstrapTerm, confState: confState, data: data)
    }
}
