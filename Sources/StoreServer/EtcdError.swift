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
            }
        case let error as StoreError:
            switch error {
            case .requestTooLarge: return requestTooLarge
            case .noSpace: return noSpace
            case .leaseTTLTooLarge: return leaseTTLTooLarge
            case .stopped: return stopped
            case .unsupported(let what): return RPCError(code: .unimplemented, message: "etcdserver: \(what)")
            case .badDataDirectory(let why): return RPCError(code: .internalError, message: "etcdserver: \(why)")
            }
        default:
            return RPCError(code: .internalError, message: "etcdserver: \(error)")
        }
    }
}
