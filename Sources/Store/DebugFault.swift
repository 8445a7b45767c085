import Synchronization

/// A deliberate defect a member can be started with (`keel store --debug-fault NAME`, debug builds only), so
/// that the chaos checkers can be shown to catch the bug each one is there to catch. A member started without
/// one behaves correctly; release builds refuse the flag.
public enum DebugFault: String, Sendable, CaseIterable {
    /// A follower answers linearizable reads from its local state, without a ReadIndex round to the leader:
    /// a read may miss a write that completed before it started.
    case staleFollowerReads = "stale-follower-reads"
    /// A put is acknowledged as soon as it is handed to Raft, before it is committed, with a guessed revision:
    /// a write acknowledged this way can be lost when the leader fails, or reported at the wrong revision.
    case acknowledgeBeforeCommit = "ack-before-commit"
    /// One watch event (the tenth the member sends) is left out of its watch response: a gap in the stream.
    case dropWatchEvent = "drop-watch-event"

    /// Which event, counted over all the member's watch streams from 1, `dropWatchEvent` leaves out.
    public static let droppedWatchEventPosition = 10
}

/// Counts what `DebugFault.dropWatchEvent` needs: the events sent so far, across all watch streams.
public final class DebugFaultCounter: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    /// Adds `events` and returns the 1-based positions they took.
    public func take(_ events: Int) -> ClosedRange<Int>? {
        guard events > 0 else { return nil }
        let before = count.wrappingAdd(events, ordering: .relaxed).oldValue
        return (before + 1)...(before + events)
    }
}
