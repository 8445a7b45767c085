/// The answer to a read request: once the member has applied up to `index`, a read of its state machine
/// is linearizable with respect to every write acknowledged before the request was made.
public struct ReadState: Hashable, Sendable, CustomStringConvertible {
    public var index: LogIndex
    /// The context the request was made with.
    public var context: [UInt8]

    public init(index: LogIndex, context: [UInt8]) {
        self.index = index
        self.context = context
    }

    public var description: String { "read index=\(index) ctx=\(quoted(context))" }
}
