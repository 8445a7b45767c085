import MVCC

/// A change to the store, as it travels through the log: every write a client asks for becomes exactly one
/// `WriteRequest`, and requests are applied strictly in log order by one applier.
///
/// Everything a request needs to be applied deterministically is inside it (lease ids are chosen before the
/// request enters the log), so that every replica applying the same sequence reaches the same state.
public enum WriteRequest: Sendable {
    case put(PutRequest)
    case deleteRange(DeleteRangeRequest)
    case txn(TxnRequest)
    case compact(revision: Int64)
    case leaseGrant(id: Int64, ttl: Int64)
    case leaseRevoke(id: Int64)
    case alarm(AlarmChange)
}

extension WriteRequest {
    /// The bytes a request may add to the data file, for the quota check; nil for requests that never
    /// grow it (deletes, compaction, revokes, alarms), which stay allowed when the quota is exhausted.
    public var spaceCost: Int64? {
        switch self {
        case .put(let put): return Int64(put.key.count + put.value.count + 64)
        case .txn(let txn): return txn.containsPut ? Int64(txn.writtenBytes + 64) : nil
        case .leaseGrant: return 64
        case .deleteRange, .compact, .leaseRevoke, .alarm: return nil
        }
    }
}

extension TxnRequest {
    /// Whether any branch, at any depth, writes a key (such a txn is refused under the NOSPACE alarm).
    var containsPut: Bool {
        (success + failure).contains { op in
            switch op {
            case .put: return true
            case .txn(let nested): return nested.containsPut
            case .range, .deleteRange: return false
            }
        }
    }

    /// Whether any branch, at any depth, puts or deletes (such a txn is refused under the CORRUPT alarm).
    var containsWrite: Bool {
        (success + failure).contains { op in
            switch op {
            case .put, .deleteRange: return true
            case .txn(let nested): return nested.containsWrite
            case .range: return false
            }
        }
    }

    var writtenBytes: Int {
        (success + failure).reduce(0) { total, op in
            switch op {
            case .put(let put): return total + put.key.count + put.value.count + 64
            case .txn(let nested): return total + nested.writtenBytes
            case .range, .deleteRange: return total
            }
        }
    }
}

/// Raising or clearing an alarm; alarms are part of the replicated state.
public struct AlarmChange: Sendable, Hashable {
    public enum Action: Sendable { case activate, deactivate }
    public var action: Action
    public var alarm: Alarm

    public init(action: Action, alarm: Alarm) {
        self.action = action
        self.alarm = alarm
    }
}

/// An alarm raised on a member, as etcd's `AlarmMember`.
public struct Alarm: Sendable, Hashable, Codable {
    public enum Kind: Int, Sendable, Codable { case none = 0, noSpace = 1, corrupt = 2 }
    public var memberID: UInt64
    public var kind: Kind

    public init(memberID: UInt64, kind: Kind) {
        self.memberID = memberID
        self.kind = kind
    }
}
