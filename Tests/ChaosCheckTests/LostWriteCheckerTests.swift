import ChaosCheck
import Testing

@Suite struct LostWriteCheckerTests {
    func check(_ h: HistoryBuilder) -> LostWriteReport {
        let history = RevisionHistoryChecker(records: h.records, watches: h.watches).check().history
        return LostWriteChecker(records: h.records, history: history).check()
    }

    @Test func overwrittenAndDeletedWritesAreNotLost() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)
        h.run(.put(key: "a", value: "2", leaseID: nil), invoke: 20, complete: 30)
        h.run(.put(key: "b", value: "1", leaseID: nil), invoke: 21, complete: 31)
        h.run(.delete(key: "b"), invoke: 40, complete: 50)
        let final = h.run(wholeKeySpace, invoke: 60, complete: 70)
        let report = check(h)
        #expect(report.finalReadID == final)
        #expect(report.violations.isEmpty, "\(report.violations)")
    }

    @Test func deleteByUnknownOperationIsNotALoss() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)
        h.run(.delete(key: "a"), invoke: 20, complete: 30, unknown: true)
        h.run(wholeKeySpace, invoke: 60, complete: 70)
        #expect(check(h).violations.isEmpty)
    }

    @Test func missingAcknowledgedPutIsLost() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        let lost = h.record(
            .put(key: "b", value: "1", leaseID: nil), invoke: 20, complete: 30,
            outcome: .ok(HistoryResponse(revision: 3)))
        let final = h.record(
            wholeKeySpace, invoke: 60, complete: 70,
            outcome: .ok(HistoryResponse(revision: 3, kvs: [kv("a", "1", create: 2, mod: 2, version: 1)])))
        let report = check(h)
        #expect(report.violations.map(\.kind) == [.lostWrite])
        #expect(report.violations.first?.operationIDs == [lost, final])
    }

    @Test func olderValueInFinalReadIsALostOverwrite() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        let lost = h.record(
            .put(key: "a", value: "2", leaseID: nil), invoke: 20, complete: 30,
            outcome: .ok(HistoryResponse(revision: 3)))
        h.record(
            wholeKeySpace, invoke: 60, complete: 70,
            outcome: .ok(HistoryResponse(revision: 3, kvs: [kv("a", "1", create: 2, mod: 2, version: 1)])))
        let report = check(h)
        #expect(report.violations.contains { $0.kind == .lostWrite && $0.operationIDs.first == lost })
        // The whole pipeline names it too.
        let full = ChaosChecker.check(lines: h.lines)
        #expect(full.violations.contains { $0.kind == .lostWrite && $0.operationIDs.first == lost })
        #expect(full.verdict == .fail)
    }

    @Test func resurrectedDeleteIsLost() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        let delete = h.record(
            .delete(key: "a"), invoke: 20, complete: 30,
            outcome: .ok(HistoryResponse(revision: 3, deleted: 1)))
        h.record(
            wholeKeySpace, invoke: 60, complete: 70,
            outcome: .ok(HistoryResponse(revision: 3, kvs: [kv("a", "1", create: 2, mod: 2, version: 1)])))
        #expect(check(h).violations.contains { $0.kind == .lostWrite && $0.operationIDs.first == delete })
    }

    @Test func noFinalReadChecksNothing() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)
        h.run(.range(start: "a", end: "b", serializable: false), invoke: 20, complete: 30)
        h.run(.put(key: "zzz", value: "1", leaseID: nil), invoke: 40, complete: 50)
        #expect(check(h).finalReadID == nil)
    }
}
