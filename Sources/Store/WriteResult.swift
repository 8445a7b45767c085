import MVCC

/// What applying one `WriteRequest` produced, with the store revision right after it was applied.
public struct WriteResult: Sendable {
    public enum Outcome: Sendable {
        case put(PutResponse)
        case deleteRange(DeleteRangeResponse)
        case txn(TxnResponse)
        case compacted
        case leaseGranted(id: Int64, ttl: Int64)
        case leaseRevoked
        case alarms([Alarm])
    }

    public var outcome: Outcome
    /// The store's revision after this request (the response header revision).
    public var revision: Int64

    public init(outcome: Outcome, revision: Int64) {
        self.outcome = outcome
        self.revision = revision
    }
}
