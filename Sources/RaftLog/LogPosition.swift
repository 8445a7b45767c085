import Raft

/// An entry's place in the log: its index and the term it was written in.
struct LogPosition: Hashable, Sendable {
    var index: LogIndex
    var term: Term
}
