import ChaosCheck
import Testing

@Suite struct ChaosCheckerTests {
    /// Concurrent, overlapping operations of every kind, with unknown outcomes that did and did not happen.
    static func validHistory() -> HistoryBuilder {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "a1", leaseID: nil), invoke: 0, complete: 20, client: 1)  // rev 2
        h.run(.put(key: "b", value: "b1", leaseID: nil), invoke: 5, complete: 25, client: 2)  // rev 3
        h.run(.get(key: "a", serializable: false), invoke: 10, complete: 30, client: 3)  // overlaps, sees rev 3
        h.run(
            .multiPut(puts: [KeyValuePair(key: "a", value: "a2"), KeyValuePair(key: "b", value: "b2")]),
            invoke: 40, complete: 50, client: 1)  // rev 4
        h.run(.range(start: "a", end: "c", serializable: false), invoke: 45, complete: 60, client: 2)
        h.run(.get(key: "a", serializable: true), invoke: 46, complete: 61, client: 3)
        h.run(.delete(key: "a"), invoke: 70, complete: 80, client: 1)  // rev 5
        h.run(.delete(key: "zz"), invoke: 71, complete: 81, client: 2)  // no revision
        h.run(.put(key: "c", value: "c1", leaseID: nil), invoke: 90, complete: 100, client: 3, unknown: true)  // rev 6
        h.record(
            .put(key: "d", value: "d1", leaseID: nil), invoke: 91, complete: 101, client: 4,
            outcome: .unknown(reason: "timeout"))  // never happened
        // rev 7, then a second compare-and-set on the same mod revision that fails.
        h.run(.compareAndSet(key: "b", expectedModRevision: 4, value: "b3"), invoke: 110, complete: 120, client: 1)
        h.run(.compareAndSet(key: "b", expectedModRevision: 4, value: "b4"), invoke: 125, complete: 130, client: 2)
        h.run(.leaseGrant(leaseID: 7, ttlSeconds: 60), invoke: 131, complete: 132, client: 1)
        h.run(.put(key: "e", value: "e1", leaseID: 7), invoke: 133, complete: 134, client: 1)  // rev 8
        h.run(.leaseRevoke(leaseID: 7), invoke: 135, complete: 136, client: 1)  // rev 9
        h.record(
            .put(key: "f", value: "f1", leaseID: nil), invoke: 137, complete: 138, client: 2,
            outcome: .failed(reason: "no leader"))
        h.run(wholeKeySpace, invoke: 200, complete: 210, client: 1)
        h.watchEverything()
        return h
    }

    @Test func validHistoryPasses() {
        let report = Self.validHistory().check()
        #expect(report.violations.isEmpty, "\(report.summary)")
        #expect(report.verdict == .pass)
        #expect(report.lastRevision == 9)
        #expect(report.operationCounts["put"] == OutcomeCounts(ok: 3, failed: 1, unknown: 2))
        #expect(report.finalReadID != nil)
        #expect(report.keysCheckedForLinearizability >= 5)
    }

    @Test func historyFileRoundTripChecksTheSame() throws {
        let h = Self.validHistory()
        let text = try h.lines.map { try $0.jsonLine() }.joined(separator: "\n")
        let decoded = try HistoryLine.decodeFile(text)
        #expect(ChaosChecker.check(lines: decoded) == h.check())
    }

    @Test func budgetExhaustionMakesTheVerdictUnknown() {
        var h = HistoryBuilder()
        for client in 0..<12 {
            h.record(
                .put(key: "k", value: "v\(client)", leaseID: nil), invoke: UInt64(client), complete: 1000,
                client: client, outcome: .unknown(reason: "timeout"))
        }
        // Six of the puts took effect, in some order nothing observed; only the last is seen.
        h.record(
            .get(key: "k", serializable: false), invoke: 2000, complete: 2100, client: 99,
            outcome: .ok(HistoryResponse(revision: 7, kvs: [kv("k", "v0", create: 2, mod: 7, version: 6)])))
        #expect(h.check().verdict == .pass, "\(h.check().summary)")
        let report = h.check(ChaosCheckOptions(linearizabilityBudget: 20))
        #expect(report.violations.isEmpty, "\(report.summary)")
        #expect(report.verdict == .unknown)
        #expect(report.inconclusive.count == 1)
    }

    @Test func explicitFinalReadIsUsed() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)
        let final = HistoryRecord(
            id: 500, client: 0, endpoint: "127.0.0.1:2379", invokeNanos: 100, completeNanos: 110,
            operation: wholeKeySpace, outcome: .ok(HistoryResponse(revision: 2)))
        let report = ChaosChecker.check(lines: h.lines, finalRead: final)
        #expect(report.finalReadID == 500)
        #expect(report.violations.contains { $0.kind == .lostWrite && $0.operationIDs.first == 1 })
    }

    @Test func violationsReadAsOneLine() {
        let violation = Violation(kind: .lostWrite, message: "gone", operationIDs: [3, 9], revision: 12)
        #expect(violation.description == "[lostWrite] rev 12 ops #3,#9: gone")
        #expect(!violation.description.contains("\n"))
    }
}
