import GRPCCore
import MVCC
import Store

/// The errors a client sees, with etcd's gRPC status codes and messages, so that etcd's clients (which
/// match on the message text) recognise them.
public enum EtcdError {
    public static let emptyKey = RPCError(code: .invalidArgument, message: "etcdserver: key is not provided")
    public static let keyNotFound = RPCError(code: .invalidArgument, message: "etcdserver: key not found")
    public static let valueProvided = RPCError(code: .invalidArgument, message: "etcdserver: value is provided")
    public static let leaseProvided = RPCError(code: .invalidArgument, message: "etcdserver: lease is provided")
    public static let tooManyOps = RPCError(
        code: .invalidArgument, message: "etcdserver: too many operations in txn request")
    public static let duplicateKey = RPCError(
        code: .invalidArgument, message: "etcdserver: duplicate key given in txn request")
    public static let compacted = RPCError(
        code: .outOfRange, message: "etcdserver: mvcc: required revision has been compacted")
    public static let futureRevision = RPCError(
        code: .outOfRange, message: "etcdserver: mvcc: required revision is a future revision")
    public static let noSpace = RPCError(
        code: .resourceExhausted, message: "etcdserver: mvcc: database space exceeded")
    /// etcd 3.4's answer to every write (and compaction, lease grant or revoke) while the CORRUPT alarm is active.
    public static let corrupt = RPCError(code: .dataLoss, message: "etcdserver: corrupt cluster")
    public static let leaseNotFound = RPCError(code: .notFound, message: "etcdserver: requested lease not found")
    public static let leaseExists = RPCError(code: .failedPrecondition, message: "etcdserver: lease already exists")
    public static let leaseTTLTooLarge = RPCError(code: .outOfRange, message: "etcdserver: too large lease TTL")
    public static let requestTooLarge = RPCError(code: .invalidArgument, message: "etcdserver: request is too large")
    public static let invalidSortOption = RPCError(
        code: .invalidArgument, message: "etcdserver: invalid sort option")
    public static let invalidCompare = RPCError(code: .invalidArgument, message: "etcdserver: invalid compare")
    public static let emptyRequestOp = RPCError(code: .invalidArgument, message: "etcdserver: request op is empty")
    public static let memberNotFound = RPCError(code: .notFound, message: "etcdserver: member not found")
    public static let badLeaderTransferee = RPCError(
        code: .failedPrecondition, message: "etcdserver: bad leader transferee")
    public static let authNotEnabled = RPCError(
        code: .failedPrecondition, message: "etcdserver: authentication is not enabled")
    public static let stopped = RPCError(code: .unavailable, message: "etcdserver: server stopped")
    public static let timeout = RPCError(code: .unavailable, message: "etcdserver: request timed out")
    public static let noLeader = RPCError(code: .unavailable, message: "etcdserver: no leader")
    public static let memberExists = RPCError(code: .failedPrecondition, message: "etcdserver: member ID already exist")
    public static let peerURLExists = RPCError(code: .failedPrecondition, message: "etcdserver: Peer URLs already exists")
    public static let tooManyLearners = RPCError(
        code: .failedPrecondition, message: "etcdserver: too many learner members in cluster")
    public static let memberNotLearner = RPCError(
        code: .failedPrecondition, message: "etcdserver: can only promote a learner member")
    public static let learnerNotReady = RPCError(
        code: .failedPrecondition, message: "etcdserver: can only promote a learner member which is in sync with leader")
    public static let unhealthyCluster = RPCError(
        code: .unavailable, message: "etcdserver: unhealthy cluster")
    public static let learnerRequest = RPCError(
        code: .unavailable, message: "etcdserver: rpc not supported for learner")

    /// Translates an error from the layers below into the status a client gets.
    public static func from(_ error: any Error) -> RPCError {
        switch error {
        case let error as RPCError:
            return error
        case let error as MVCCError:
            switch error {
            case .compacted: return compacted
            case .futureRevision: return futureRevision
            case .emptyKey: return emptyKey
            case .leaseNotFound: return leaseNotFound
            case .leaseExists: return leaseExists
            case .duplicateKeyInTxn: return duplicateKey
            case .keyNotFoundForIgnore: return keyNotFound
            case .valueProvided: return valueProvided
            case .leaseProvided: return leaseProvided
            case .keyTooLarge: return requestTooLarge
            case .storage(let message):
                return RPCError(code: .internalError, message: "etcdserver: storage failure: \(message)")
            case .invalidStatePayload:
                return RPCError(code: .dataLoss, message: error.description)
            }
        case let error as StoreError:
            switch error {
            case .requestTooLarge: return requestTooLarge
            case .noSpace: return noSpace
            case .corrupt: return corrupt
            case .persistenceFailed: return stopped
            case .leaseTTLTooLarge: return leaseTTLTooLarge
            case .stopped: return stopped
            case .unsupported(let what): return RPCError(code: .unimplemented, message: "etcdserver: \(what)")
            case .badDataDirectory(let why): return RPCError(code: .internalError, message: "etcdserver: \(why)")
            case .invalidConfiguration(let why): return RPCError(code: .failedPrecondition, message: "etcdserver: \(why)")
            case .timeout: return timeout
            case .noLeader: return noLeader
            case .memberNotFound: return memberNotFound
            case .memberExists: return memberExists
            case .peerURLExists: return peerURLExists
            case .memberNotLearner: return memberNotLearner
            case .tooManyLearners: return tooManyLearners
            case .learnerNotReady: return learnerNotReady
            case .unhealthyCluster: return unhealthyCluster
            case .badLeaderTransferee: return badLeaderTransferee
            case .learnerRequest: return learnerRequest
            case .removedMember: return RPCError(code: .failedPrecondition, message: "etcdserver: the member has been permanently removed from the cluster")
            }
        default:
            return RPCError(code: .internalError, message: "etcdserver: \(error)")
        }
    }
}
