/// A snapshot of a member's state, for monitoring and tests.
public struct RaftStatus: Sendable, CustomStringConvertible {
    public var id: NodeID
    public var hardState: HardState
    public var softState: SoftState
    public var applied: LogIndex
    public var firstIndex: LogIndex
    public var lastIndex: LogIndex
    /// The highest index of the log known durable here.
    public var persisted: LogIndex
    public var confState: ConfState
    /// On a leader, each member's progress; empty elsewhere.
    public var progress: [NodeID: Progress]
    public var leadTransferee: NodeID?

    public var description: String {
        var text =
            "\(id): \(softState) \(hardState) applied=\(applied) log=\(firstIndex)...\(lastIndex)"
            + " persisted=\(persisted) \(confState)"
        for member in progress.keys.sorted() {
            text += "\n  \(member): \(progress[member]!)"
        }
        return text
    }
}
