import EtcdAPI
import Foundation

/// One condition of a transaction: a key's value, version, create or mod revision, or lease compared with
/// a constant. Over a range of keys, every key must satisfy it.
///
/// A key that does not exist has version, create and mod revision 0 and no lease, so
/// `.version(key, .equal, 0)` means "the key does not exist".
public struct Compare: Sendable, Hashable {
    public enum Relation: Sendable, Hashable {
        case equal, notEqual, greater, less
    }

    public enum Target: Sendable, Hashable {
        case value([UInt8])
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        /// `nil` for "no lease".
        case lease(LeaseID?)
    }

    public var keys: KeyRange
    public var relation: Relation
    public var target: Target

    public init(_ keys: KeyRange, _ relation: Relation, _ target: Target) {
        self.keys = keys
        self.relation = relation
        self.target = target
    }

    public static func value(_ key: [UInt8], _ relation: Relation, _ value: [UInt8]) -> Compare {
        Compare(.key(key), relation, .value(value))
    }

    public static func version(_ key: [UInt8], _ relation: Relation, _ version: Int64) -> Compare {
        Compare(.key(key), relation, .version(version))
    }

    public static func createRevision(_ key: [UInt8], _ relation: Relation, _ revision: Int64) -> Compare {
        Compare(.key(key), relation, .createRevision(revision))
    }

    public static func modRevision(_ key: [UInt8], _ relation: Relation, _ revision: Int64) -> Compare {
        Compare(.key(key), relation, .modRevision(revision))
    }

    public static func lease(_ key: [UInt8], _ relation: Relation, _ lease: LeaseID?) -> Compare {
        Compare(.key(key), relation, .lease(lease))
    }

    var message: Etcdserverpb_Compare {
        var compare = Etcdserverpb_Compare()
        let bounds = keys.bounds
        compare.key = Data(bounds.key)
        compare.rangeEnd = Data(bounds.rangeEnd)
        switch relation {
        case .equal: compare.result = .equal
        case .notEqual: compare.result = .notEqual
        case .greater: compare.result = .greater
        case .less: compare.result = .less
        }
        switch target {
        case .value(let value):
            compare.target = .value
            compare.targetUnion = .value(Data(value))
        case .version(let version):
            compare.target = .version
            compare.targetUnion = .version(version)
        case .createRevision(let revision):
            compare.target = .create
            compare.targetUnion = .createRevision(revision)
        case .modRevision(let revision):
            compare.target = .mod
            compare.targetUnion = .modRevision(revision)
        case .lease(let lease):
            compare.target = .lease
            compare.targetUnion = .lease(lease?.rawValue ?? 0)
        }
        return compare
    }
}
