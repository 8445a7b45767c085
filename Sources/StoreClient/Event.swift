import EtcdAPI

/// One change seen by a watch: a put or a delete of one key at one revision.
public struct Event: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case put
        case delete
    }

    public var kind: Kind
    /// The key after the change; for a delete, only `key` and `modRevision` (the deletion's revision) are set.
    public var kv: KeyValue
    /// The key before the change, when the watch asked for previous values and the key existed.
    public var previous: KeyValue?

    public init(kind: Kind, kv: KeyValue, previous: KeyValue? = nil) {
        self.kind = kind
        self.kv = kv
        self.previous = previous
    }

    init(_ raw: Mvccpb_Event) {
        self.init(
            kind: raw.type == .delete ? .delete : .put, kv: KeyValue(raw.kv),
            previous: raw.hasPrevKv ? KeyValue(raw.prevKv) : nil)
    }

    /// The revision of the change.
    public var revision: Int64 { kv.modRevision }
}
