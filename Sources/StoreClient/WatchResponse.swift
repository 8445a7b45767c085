import EtcdAPI

/// A batch of changes from a watch: the events of one or more consecutive revisions, oldest first, each
/// revision whole. A batch without events is a progress notification: every change up to
/// `header.revision` has been delivered.
public struct WatchResponse: Sendable {
    public var header: ResponseHeader
    public var events: [Event]
    /// The message as received (before events already delivered were dropped from it).
    public var raw: Etcdserverpb_WatchResponse

    public var isProgressNotification: Bool { events.isEmpty }

    init(_ raw: Etcdserverpb_WatchResponse, events: [Event]) {
        self.header = ResponseHeader(raw.header)
        self.events = events
        self.raw = raw
    }
}

/// Which kinds of change a watch leaves out.
public struct WatchFilters: OptionSet, Sendable, Hashable {
    public let rawValue: Int

    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    public static let noPut = WatchFilters(rawValue: 1 << 0)
    public static let noDelete = WatchFilters(rawValue: 1 << 1)
}
