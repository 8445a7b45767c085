/// The result of checking one chaos history: every violation found, the checks that could not reach a verdict,
/// and counts of what the history holds. A run passes only when there are no violations and every check
/// finished.
public struct ChaosReport: Sendable, Hashable, Codable {
    /// The overall verdict. `unknown` means no violation was found but some check ran out of budget, which is
    /// not a pass.
    public enum Verdict: String, Sendable, Hashable, Codable {
        case pass
        case fail
        case unknown
    }

    /// Every violation, in the order the checkers found them.
    public var violations: [Violation]
    /// One line per check that gave up without a verdict (for example a key whose linearizability search
    /// exhausted its budget).
    public var inconclusive: [String]
    /// Operations by kind (`get`, `get-serializable`, `range`, `range-serializable`, `put`, `delete`,
    /// `compare-and-set`, `multi-put`, `lease-grant`, `lease-revoke`) and outcome.
    public var operationCounts: [String: OutcomeCounts]
    /// Faults the nemesis injected, by kind.
    public var faultCounts: [String: Int]
    public var watchResponses: Int
    public var watchEvents: Int
    /// The highest revision the history shows committed.
    public var lastRevision: Int64
    /// The keys whose single-key histories went through the linearizability search.
    public var keysCheckedForLinearizability: Int
    /// The operation used as the final read for the lost-write check, if the history had one.
    public var finalReadID: Int?

    public init(
        violations: [Violation] = [], inconclusive: [String] = [], operationCounts: [String: OutcomeCounts] = [:],
        faultCounts: [String: Int] = [:], watchResponses: Int = 0, watchEvents: Int = 0, lastRevision: Int64 = 0,
        keysCheckedForLinearizability: Int = 0, finalReadID: Int? = nil
    ) {
        self.violations = violations
        self.inconclusive = inconclusive
        self.operationCounts = operationCounts
        self.faultCounts = faultCounts
        self.watchResponses = watchResponses
        self.watchEvents = watchEvents
        self.lastRevision = lastRevision
        self.keysCheckedForLinearizability = keysCheckedForLinearizability
        self.finalReadID = finalReadID
    }

    public var verdict: Verdict {
        if !violations.isEmpty { return .fail }
        if !inconclusive.isEmpty { return .unknown }
        return .pass
    }

    /// The number of violations of one kind.
    public func count(of kind: Violation.Kind) -> Int {
        violations.count { $0.kind == kind }
    }

    /// The total number of operations in the history.
    public var operationTotal: Int {
        operationCounts.values.reduce(0) { $0 + $1.total }
    }

    /// The most violations `summary` lists one by one.
    public static let summaryLimit = 100

    /// A few lines for a terminal: verdict, counts, then one line per violation and inconclusive check.
    public var summary: String {
        var lines = ["verdict: \(verdict.rawValue)"]
        lines.append(
            "operations: \(operationTotal), last revision: \(lastRevision), watch responses: \(watchResponses) "
                + "(\(watchEvents) events), keys checked for linearizability: \(keysCheckedForLinearizability)")
        for kind in operationCounts.keys.sorted() {
            let counts = operationCounts[kind]!
            lines.append("  \(kind): ok \(counts.ok), failed \(counts.failed), unknown \(counts.unknown)")
        }
        if !faultCounts.isEmpty {
            lines.append(
                "faults: " + faultCounts.keys.sorted().map { "\($0) \(faultCounts[$0]!)" }.joined(separator: ", "))
        }
        lines.append("violations: \(violations.count)")
        lines.append(contentsOf: violations.prefix(Self.summaryLimit).map { "  \($0)" })
        if violations.count > Self.summaryLimit {
            lines.append("  … and \(violations.count - Self.summaryLimit) more")
        }
        if !inconclusive.isEmpty {
            lines.append("inconclusive: \(inconclusive.count)")
            lines.append(contentsOf: inconclusive.map { "  \($0)" })
        }
        return lines.joined(separator: "\n")
    }
}
