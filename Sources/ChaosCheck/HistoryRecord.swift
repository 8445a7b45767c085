/// One completed (or abandoned) operation of a chaos run: one line of the history file.
///
/// Times are monotonic nanoseconds from one clock shared by all clients of the run, so that the real-time
/// order of two operations (one completed before the other was invoked) can be read from them.
public struct HistoryRecord: Codable, Sendable, Hashable {
    /// Unique within the run.
    public var id: Int
    /// The client that issued it; a client has at most one operation in flight.
    public var client: Int
    /// The member endpoint the request went to.
    public var endpoint: String
    public var invokeNanos: UInt64
    /// When the answer arrived or, for an unknown outcome, when the client gave up.
    public var completeNanos: UInt64
    public var operation: HistoryOperation
    public var outcome: HistoryOutcome

    public init(
        id: Int, client: Int, endpoint: String, invokeNanos: UInt64, completeNanos: UInt64,
        operation: HistoryOperation, outcome: HistoryOutcome
    ) {
        self.id = id
        self.client = client
        self.endpoint = endpoint
        self.invokeNanos = invokeNanos
        self.completeNanos = completeNanos
        self.operation = operation
        self.outcome = outcome
    }
}
