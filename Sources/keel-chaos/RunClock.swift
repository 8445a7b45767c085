/// The one monotonic clock of a run: nanoseconds since the run started, shared by every client, watcher and
/// fault so that their records can be ordered against each other.
struct RunClock: Sendable {
    let start: ContinuousClock.Instant

    init() {
        start = ContinuousClock.now
    }

    var nanos: UInt64 { Self.nanos(ContinuousClock.now - start) }

    static func nanos(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
