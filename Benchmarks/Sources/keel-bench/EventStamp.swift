import Foundation

/// A value that carries the instant it was written, so that a watcher receiving it can tell how long after
/// the put the event arrived. The first 8 bytes are nanoseconds since `epoch` (little-endian), the rest
/// padding up to the value size. Writer and watcher are the same process, so they share the clock.
struct EventStamp: Sendable {
    let epoch: ContinuousClock.Instant
    let valueSize: Int

    init(epoch: ContinuousClock.Instant = .now, valueSize: Int) {
        self.epoch = epoch
        self.valueSize = max(8, valueSize)
    }

    /// A value stamped with the present instant.
    func value() -> Data {
        let nanoseconds = UInt64(max(0, (ContinuousClock.now - epoch).milliseconds * 1e6))
        var data = Data(count: valueSize)
        for byte in 0..<8 { data[byte] = UInt8(truncatingIfNeeded: nanoseconds >> (8 * UInt64(byte))) }
        for byte in 8..<valueSize { data[byte] = UInt8(ascii: "v") }
        return data
    }

    /// How long ago `value` was stamped; nil for a value this program did not stamp.
    func age(of value: Data) -> Duration? {
        guard value.count >= 8 else { return nil }
        var nanoseconds: UInt64 = 0
        for (position, byte) in value.prefix(8).enumerated() { nanoseconds |= UInt64(byte) << (8 * UInt64(position)) }
        return ContinuousClock.now - (epoch + .nanoseconds(Int64(clamping: nanoseconds)))
    }
}
