/// A conditional transaction, as etcd's `TxnRequest`: when every compare holds, `success` runs, otherwise
/// `failure`. All writes of a txn share one revision.
public struct TxnRequest: Sendable {
    public var compare: [Compare]
    public var success: [RequestOp]
    public var failure: [RequestOp]

    public init(compare: [Compare] = [], success: [RequestOp] = [], failure: [RequestOp] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }
}

/// The answer to a `TxnRequest`: which branch ran and one response per operation of it.
public struct TxnResponse: Equatable, Sendable {
    public var succeeded: Bool
    public var responses: [ResponseOp]

    public init(succeeded: Bool, responses: [ResponseOp] = []) {
        self.succeeded = succeeded
        self.responses = responses
    }
}

/// One operation of a txn branch.
public indirect enum RequestOp: Sendable {
    case range(RangeRequest)
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
}

/// The response to one `RequestOp`.
public indirect enum ResponseOp: Equatable, Sendable {
    case range(RangeResponse)
    case put(PutResponse)
    case deleteRange(DeleteRangeResponse)
    case txn(TxnResponse)
}
