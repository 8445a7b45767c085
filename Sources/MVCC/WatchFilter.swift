/// Kinds of event a watcher does not want to receive (etcd's `WatchCreateRequest.FilterType`).
///
/// A filter only hides events: the watcher's progress through the revisions is the same with or without it.
public struct WatchFilter: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Drop put events (etcd's `NOPUT`).
    public static let noPut = WatchFilter(rawValue: 1 << 0)
    /// Drop delete events (etcd's `NODELETE`).
    public static let noDelete = WatchFilter(rawValue: 1 << 1)

    /// Whether `event` passes this filter.
    public func admits(_ event: Event) -> Bool {
        switch event.kind {
        case .put: !contains(.noPut)
        case .delete: !contains(.noDelete)
        }
    }
}
