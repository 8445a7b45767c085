/// Budgets and switches for `ChaosChecker.check`.
public struct ChaosCheckOptions: Sendable, Hashable {
    /// The most model steps the linearizability search may take per key.
    public var linearizabilityBudget: Int
    /// Whether to run the per-key linearizability search at all (the revision checks always run).
    public var checkLinearizability: Bool
    /// Whether a lease may expire on its own; a run that keeps its leases alive can turn this off.
    public var leasesMayExpire: Bool
    /// Whether a history without a final read is inconclusive rather than passing the lost-write check.
    public var requireFinalRead: Bool

    public init(
        linearizabilityBudget: Int = 2_000_000, checkLinearizability: Bool = true, leasesMayExpire: Bool = true,
        requireFinalRead: Bool = false
    ) {
        self.linearizabilityBudget = linearizabilityBudget
        self.checkLinearizability = checkLinearizability
        self.leasesMayExpire = leasesMayExpire
        self.requireFinalRead = requireFinalRead
    }
}
