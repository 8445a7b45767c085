/// The one entry point a chaos run calls: it runs every checker over a recorded history and gathers their
/// violations and counts into a `ChaosReport`.
///
/// The checks are pure functions of the history; nothing here reads clocks or files.
public enum ChaosChecker {
    /// Checks a whole history.
    ///
    /// - Parameters:
    ///   - lines: the history, as decoded by `HistoryLine.decodeFile`.
    ///   - finalRead: the linearizable read over the whole key space taken after the workload stopped, for the
    ///     lost-write check. When nil, the last ok linearizable range in `lines` that covers every written key
    ///     is used. A record not already in `lines` is checked like any other read.
    ///   - options: budgets and switches.
    public static func check(
        lines: [HistoryLine], finalRead: HistoryRecord? = nil, options: ChaosCheckOptions = ChaosCheckOptions()
    ) -> ChaosReport {
        var records: [HistoryRecord] = []
        var watches: [WatchRecord] = []
        var report = ChaosReport()
        for line in lines {
            switch line {
            case .operation(let record): records.append(record)
            case .watch(let watch): watches.append(watch)
            case .fault(let fault): report.faultCounts[fault.kind, default: 0] += 1
            }
        }
        if let finalRead, !records.contains(where: { $0.id == finalRead.id }) {
            records.append(finalRead)
        }
        for record in records {
            report.operationCounts[record.operation.kindName, default: OutcomeCounts()].add(record.outcome)
        }
        report.watchResponses = watches.count
        report.watchEvents = watches.reduce(0) { $0 + $1.events.count }

        let revisions = RevisionHistoryChecker(records: records, watches: watches).check()
        report.violations.append(contentsOf: revisions.violations)
        report.lastRevision = revisions.history.lastRevision

        if options.checkLinearizability {
            let linearizability = KeyLinearizabilityChecker(
                budget: options.linearizabilityBudget, leasesMayExpire: options.leasesMayExpire
            ).check(records, revisions: revisions)
            report.violations.append(contentsOf: linearizability.violations)
            report.inconclusive.append(contentsOf: linearizability.inconclusive)
            report.keysCheckedForLinearizability = linearizability.keysChecked
        }

        let lost = LostWriteChecker(records: records, history: revisions.history).check(finalRead: finalRead)
        report.finalReadID = lost.finalReadID
        report.violations.append(contentsOf: lost.violations)
        if lost.finalReadID == nil, options.requireFinalRead {
            report.inconclusive.append("lost writes: the history has no final linearizable read over all keys")
        }

        report.violations.append(contentsOf: WatchChecker(watches: watches, history: revisions.history).check())
        return report
    }
}
