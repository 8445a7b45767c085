/// One operation of a concurrent history: its input, its answer, and the interval in which it took effect.
public struct LinearizableOperation<Input, Output> {
    /// Identifies the operation in results.
    public var id: Int
    public var input: Input
    /// The answer; nil when the outcome is unknown, in which case the operation may have taken effect at any
    /// time after `invoke` or not at all.
    public var output: Output?
    public var invoke: UInt64
    /// When the answer arrived; nil (returned at infinity) when the client never saw one. An operation may
    /// have a known output and no completion time: its effect is known from elsewhere, its timing is not.
    public var complete: UInt64?

    public init(id: Int, input: Input, output: Output?, invoke: UInt64, complete: UInt64?) {
        self.id = id
        self.input = input
        self.output = output
        self.invoke = invoke
        self.complete = output == nil ? nil : complete
    }
}

extension LinearizableOperation: Sendable where Input: Sendable, Output: Sendable {}
