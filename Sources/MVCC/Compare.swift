/// One condition of a txn, as etcd's `Compare`: `target` compared with the keys in (`key`, `rangeEnd`).
///
/// It holds when it holds for every existing key in the range. When no key exists, a value comparison fails
/// and the other targets compare against zero (version, create and mod revisions, lease).
public struct Compare: Sendable {
    public enum Result: Sendable { case equal, greater, less, notEqual }
    public enum Target: Sendable {
        case version(Int64)
        case create(Int64)
        case mod(Int64)
        case value([UInt8])
        case lease(Int64)
    }

    public var key: [UInt8]
    public var rangeEnd: [UInt8]
    public var result: Result
    public var target: Target

    public init(key: [UInt8], rangeEnd: [UInt8] = [], result: Result, target: Target) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.result = result
        self.target = target
    }

    var keyRange: KeyRange { KeyRange(key: key, rangeEnd: rangeEnd) }

    /// Whether the condition holds for one key's state.
    func holds(for kv: KeyValue) -> Bool {
        let order: Int
        switch target {
        case .version(let v): order = Self.compare(kv.version, v)
        case .create(let v): order = Self.compare(kv.createRevision, v)
        case .mod(let v): order = Self.compare(kv.modRevision, v)
        case .lease(let v): order = Self.compare(kv.lease, v)
        case .value(let v): order = compareBytes(kv.value, v)
        }
        switch result {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .greater: return order > 0
        case .less: return order < 0
        }
    }

    private static func compare(_ a: Int64, _ b: Int64) -> Int {
        a == b ? 0 : (a < b ? -1 : 1)
    }
}
