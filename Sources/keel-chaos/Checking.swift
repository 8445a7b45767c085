import ChaosCheck

/// The checkers of Sources/ChaosCheck, called the one way the runner and `keel-chaos check` need.
enum Checking {
    static func check(lines: [HistoryLine], finalRead: HistoryRecord?) -> ChaosReport {
        ChaosChecker.check(lines: lines, finalRead: finalRead)
    }
}
