/// Whether a record's operation made a store revision, as far as its outcome tells.
enum WriteStatus: Sendable, Hashable {
    /// Acknowledged, and certainly made the revision in its response header.
    case made(Int64)
    /// Acknowledged without saying whether it changed anything (a delete or revoke that did not report a count,
    /// a txn that did not report its branch): it made the header revision or none.
    case maybe(Int64)
    /// Made no revision: a read, an acknowledged no-op, a lease grant, or a failed request.
    case none
    /// Outcome unknown: it may have made one revision at any time after its invocation.
    case unknown

    init(_ record: HistoryRecord) {
        self = Self.status(record)
    }

    private static func status(_ record: HistoryRecord) -> WriteStatus {
        guard record.operation.isWrite else { return .none }
        if case .leaseGrant = record.operation { return .none }
        switch record.outcome {
        case .failed: return .none
        case .unknown: return .unknown
        case .ok(let response):
            switch record.operation {
            case .put, .multiPut:
                return .made(response.revision)
            case .compareAndSet:
                switch response.succeeded {
                case true?: return .made(response.revision)
                case false?: return .none
                case nil: return .maybe(response.revision)
                }
            case .delete, .leaseRevoke:
                switch response.deleted {
                case let count? where count > 0: return .made(response.revision)
                case _?: return .none
                case nil: return .maybe(response.revision)
                }
            case .get, .range, .leaseGrant:
                return .none
            }
        }
    }
}
