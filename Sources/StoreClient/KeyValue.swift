import EtcdAPI
import Foundation

/// A key and its value at one revision, with the key's MVCC bookkeeping.
public struct KeyValue: Sendable, Hashable {
    public var key: [UInt8]
    public var value: [UInt8]
    /// The revision of the put that created the key (since its last deletion).
    public var createRevision: Int64
    /// The revision of the last put to the key.
    public var modRevision: Int64
    /// How many puts since creation; 1 for a new key, 0 in a delete event.
    public var version: Int64
    /// The lease the key is attached to, if any.
    public var lease: LeaseID?

    public init(
        key: [UInt8], value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64,
        lease: LeaseID? = nil
    ) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    init(_ raw: Mvccpb_KeyValue) {
        self.init(
            key: Array(raw.key), value: Array(raw.value), createRevision: raw.createRevision,
            modRevision: raw.modRevision, version: raw.version, lease: LeaseID(raw.lease))
    }

    /// The value decoded as UTF-8, for keys that hold text.
    public var string: String { String(decoding: value, as: UTF8.self) }
}
