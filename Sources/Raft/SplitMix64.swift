/// A small, fast, deterministic pseudo-random generator (SplitMix64). The same seed yields the same
/// sequence on every platform and toolchain, which is what lets a simulation replay a run exactly.
public struct SplitMix64: RandomNumberGenerator, Hashable, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound`, without modulo bias. Written here rather than taken from the standard
    /// library so that the sequence does not depend on its implementation.
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "bound must be positive")
        let threshold = (0 &- bound) % bound
        while true {
            let value = next()
            let (high, low) = value.multipliedFullWidth(by: bound)
            if low >= threshold { return high }
        }
    }

    /// An integer in `range`.
    public mutating func next(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next(below: UInt64(range.upperBound - range.lowerBound) + 1))
    }

    /// True with probability `probability`.
    public mutating func chance(_ probability: Double) -> Bool {
        guard probability > 0 else { return false }
        return Double(next() >> 11) * 0x1p-53 < probability
    }
}
