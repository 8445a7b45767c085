/// One watch response a watcher received: one line of the history file.
public struct WatchRecord: Codable, Sendable, Hashable {
    /// The watcher; a watcher keeps its number across reconnections.
    public var watcher: Int
    /// The key prefix it watches.
    public var prefix: String
    /// The start revision of the watch stream this response came on (the resume point after a reconnection).
    public var startRevision: Int64
    public var receivedNanos: UInt64
    /// The header revision of the response.
    public var revision: Int64
    public var events: [WatchEvent]
    /// Set when the member reported the start revision compacted (the stream was then cancelled).
    public var compactRevision: Int64?

    public init(
        watcher: Int, prefix: String, startRevision: Int64, receivedNanos: UInt64, revision: Int64,
        events: [WatchEvent], compactRevision: Int64? = nil
    ) {
        self.watcher = watcher
        self.prefix = prefix
        self.startRevision = startRevision
        self.receivedNanos = receivedNanos
        self.revision = revision
        self.events = events
        self.compactRevision = compactRevision
    }
}

/// One event of a watch response. For a delete, `kv` holds the key, the delete's mod revision, and empty
/// value, create revision 0, version 0.
public struct WatchEvent: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        case put
        case delete
    }

    public var kind: Kind
    public var kv: StoredValue

    public init(kind: Kind, kv: StoredValue) {
        self.kind = kind
        self.kv = kv
    }
}
