import ChaosCheck
import Testing

@Suite struct KeyLinearizabilityCheckerTests {
    let checker = KeyLinearizabilityChecker()

    @Test func validHistoryIsLinearizableForEveryKey() {
        let report = checker.check(ChaosCheckerTests.validHistory().records)
        #expect(report.violations.isEmpty, "\(report.violations)")
        #expect(report.inconclusive.isEmpty)
        #expect(report.results.values.allSatisfy { $0 == .linearizable })
    }

    @Test func staleReadIsNotLinearizable() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "old", leaseID: nil), invoke: 0, complete: 10)
        h.run(.put(key: "a", value: "new", leaseID: nil), invoke: 20, complete: 30)
        let read = h.record(
            .get(key: "a", serializable: false), invoke: 40, complete: 50,
            outcome: .ok(HistoryResponse(revision: 2, kvs: [kv("a", "old", create: 2, mod: 2, version: 1)])))
        let report = checker.check(h.records)
        #expect(report.violations.map(\.kind) == [.notLinearizable])
        #expect(report.violations.first?.operationIDs.first == read)
        #expect(report.results["a"] != .linearizable)
    }

    @Test func concurrentReadMaySeeEitherValue() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        // Both reads overlap the second put; one sees it, the other not yet.
        h.run(.get(key: "a", serializable: false), invoke: 20, complete: 60, client: 2)
        h.run(.put(key: "a", value: "2", leaseID: nil), invoke: 15, complete: 70)  // rev 3
        h.run(.get(key: "a", serializable: false), invoke: 25, complete: 65, client: 3)
        #expect(checker.check(h.records).violations.isEmpty)
    }

    @Test func unknownPutRevealedByLaterRead() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.run(.put(key: "a", value: "2", leaseID: nil), invoke: 20, complete: 30, unknown: true)  // rev 3
        h.run(.get(key: "a", serializable: false), invoke: 100, complete: 110)
        #expect(checker.check(h.records).violations.isEmpty)
        // A read revealing a revision below the put's predecessor is not possible.
        h.record(
            .get(key: "a", serializable: false), invoke: 120, complete: 130,
            outcome: .ok(HistoryResponse(revision: 3, kvs: [kv("a", "2", create: 2, mod: 1, version: 2)])))
        #expect(!checker.check(h.records).violations.isEmpty)
    }

    @Test func compareAndSetFollowsModRevision() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.run(.compareAndSet(key: "a", expectedModRevision: 2, value: "2"), invoke: 20, complete: 30)  // rev 3
        h.run(.compareAndSet(key: "a", expectedModRevision: 2, value: "3"), invoke: 40, complete: 50)  // fails
        #expect(checker.check(h.records).violations.isEmpty)
        // A second success on the same expected revision is impossible.
        h.record(
            .compareAndSet(key: "a", expectedModRevision: 2, value: "4"), invoke: 60, complete: 70,
            outcome: .ok(HistoryResponse(revision: 4, succeeded: true)))
        #expect(checker.check(h.records).violations.map(\.kind) == [.notLinearizable])
    }

    @Test func leasedKeyMayVanishButOnlyWhenLeasesExpire() {
        var h = HistoryBuilder()
        h.run(.leaseGrant(leaseID: 5, ttlSeconds: 1), invoke: 0, complete: 5)
        h.run(.put(key: "a", value: "1", leaseID: 5), invoke: 10, complete: 20)  // rev 2
        h.record(
            .get(key: "a", serializable: false), invoke: 30, complete: 40,
            outcome: .ok(HistoryResponse(revision: 3)))
        #expect(checker.check(h.records).violations.isEmpty)
        let kept = KeyLinearizabilityChecker(leasesMayExpire: false)
        #expect(kept.check(h.records).violations.map(\.kind) == [.notLinearizable])
    }

    @Test func revokeDeletesAttachedKeys() {
        var h = HistoryBuilder()
        h.run(.leaseGrant(leaseID: 5, ttlSeconds: 100), invoke: 0, complete: 5)
        h.run(.put(key: "a", value: "1", leaseID: 5), invoke: 10, complete: 20)  // rev 2
        h.run(.put(key: "b", value: "1", leaseID: 5), invoke: 10, complete: 20)  // rev 3
        h.run(.leaseRevoke(leaseID: 5), invoke: 30, complete: 40)  // rev 4
        h.run(wholeKeySpace, invoke: 50, complete: 60)
        let kept = KeyLinearizabilityChecker(leasesMayExpire: false)
        #expect(kept.check(h.records).violations.isEmpty)
    }
}
