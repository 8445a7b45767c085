/// One change to one key, as a watcher sees it.
public struct Event: Equatable, Sendable {
    public enum Kind: Sendable { case put, delete }

    public var kind: Kind
    /// For a put, the key's new state. For a delete, as etcd: only `key` and `modRevision` (the revision of
    /// the deletion) are set, the other fields are zero.
    public var kv: KeyValue
    /// The key's state just before this change, when it existed: always in the events `MVCCStore.write`
    /// returns, and in `MVCCStore.events` when asked for.
    public var prevKV: KeyValue?

    public init(kind: Kind, kv: KeyValue, prevKV: KeyValue? = nil) {
        self.kind = kind
        self.kv = kv
        self.prevKV = prevKV
    }
}
