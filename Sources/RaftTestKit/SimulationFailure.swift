/// A violated property, with the seed that reproduces it.
public struct SimulationFailure: Error, Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var time: Int
    public var message: String
    /// The events up to the failure, when the run was traced.
    public var trace: [String]

    public var description: String {
        "seed=\(seed) t=\(time)ms: \(message) (replay with KEEL_SIM_SEED=\(seed))"
    }
}
