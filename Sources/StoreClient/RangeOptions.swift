import EtcdAPI
import Foundation

/// How a range read is shaped: at which revision, how many keys, in which order, and what of each key.
public struct RangeOptions: Sendable, Hashable {
    public enum SortTarget: Sendable, Hashable {
        case key, version, createRevision, modRevision, value
    }

    public enum SortOrder: Sendable, Hashable {
        case ascending, descending
    }

    public struct Sort: Sendable, Hashable {
        public var target: SortTarget
        public var order: SortOrder

        public init(_ target: SortTarget, _ order: SortOrder) {
            self.target = target
            self.order = order
        }
    }

    /// At most this many keys; 0 for no limit. ``RangeResult/more`` says whether keys were left out.
    public var limit: Int64 = 0
    /// Read the key space as of this revision; 0 for the latest.
    public var revision: Int64 = 0
    public var sort: Sort?
    /// Answer from the member's local state without confirming it is current (faster, possibly stale).
    public var serializable = false
    public var keysOnly = false
    /// Only ``RangeResult/count``, no keys.
    public var countOnly = false
    public var minModRevision: Int64 = 0
    public var maxModRevision: Int64 = 0
    public var minCreateRevision: Int64 = 0
    public var maxCreateRevision: Int64 = 0

    public init(
        limit: Int64 = 0, revision: Int64 = 0, sort: Sort? = nil, serializable: Bool = false,
        keysOnly: Bool = false, countOnly: Bool = false
    ) {
        self.limit = limit
        self.revision = revision
        self.sort = sort
        self.serializable = serializable
        self.keysOnly = keysOnly
        self.countOnly = countOnly
    }

    func request(for keys: KeyRange) -> Etcdserverpb_RangeRequest {
        var request = Etcdserverpb_RangeRequest()
        let bounds = keys.bounds
        request.key = Data(bounds.key)
        request.rangeEnd = Data(bounds.rangeEnd)
        request.limit = limit
        request.revision = revision
        if let sort {
            request.sortOrder = sort.order == .ascending ? .ascend : .descend
            switch sort.target {
            case .key: request.sortTarget = .key
            case .version: request.sortTarget = .version
            case .createRevision: request.sortTarget = .create
            case .modRevision: request.sortTarget = .mod
            case .value: request.sortTarget = .value
            }
        }
        request.serializable = serializable
        request.keysOnly = keysOnly
        request.countOnly = countOnly
        request.minModRevision = minModRevision
        request.maxModRevision = maxModRevision
        request.minCreateRevision = minCreateRevision
        request.maxCreateRevision = maxCreateRevision
        return request
    }
}
