/// A small deterministic generator (SplitMix64), so that a run's choices of operations and faults can be
/// replayed from its seed. Each client, watcher and the nemesis own one, derived from the run's seed.
struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// A generator for one component of the run, independent of the others.
    static func derived(from seed: UInt64, stream: UInt64) -> SeededRandom {
        var base = SeededRandom(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        return SeededRandom(seed: base.next())
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
