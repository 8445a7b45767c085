/// The verdict of a linearizability search.
public enum LinearizabilityResult: Sendable, Hashable {
    case linearizable
    case notLinearizable(LinearizabilityFailure)
    /// The search stopped before a verdict.
    case unknown(LinearizabilityUnknownReason)
}

/// Why a linearizability search gave no verdict.
public enum LinearizabilityUnknownReason: Sendable, Hashable {
    /// The search took more model steps than its budget allowed.
    case budgetExhausted(steps: Int)
}

/// Where a non-linearizable history got stuck.
public struct LinearizabilityFailure: Sendable, Hashable {
    /// The operation that could not be linearized after the longest linearizable prefix: the first to
    /// complete among those not in it.
    public var operationID: Int
    /// The longest prefix the search managed to linearize, in linearization order.
    public var linearizedPrefix: [Int]

    public init(operationID: Int, linearizedPrefix: [Int]) {
        self.operationID = operationID
        self.linearizedPrefix = linearizedPrefix
    }
}
