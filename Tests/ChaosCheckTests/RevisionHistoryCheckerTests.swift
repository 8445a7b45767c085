import ChaosCheck
import Testing

@Suite struct RevisionHistoryCheckerTests {
    func violations(_ h: HistoryBuilder) -> [Violation] {
        RevisionHistoryChecker(records: h.records, watches: h.watches).check().violations
    }

    @Test func validHistoryRebuildsEveryRevision() {
        let h = ChaosCheckerTests.validHistory()
        let report = RevisionHistoryChecker(records: h.records, watches: h.watches).check()
        #expect(report.violations.isEmpty, "\(report.violations)")
        #expect(report.history.lastRevision == 9)
        #expect(report.history.unobservedRevisions.isEmpty)
        // The unknown put that took effect is attributed to its operation.
        #expect(report.history.revisions[6]?.author == .operation(9))
        #expect(report.madeRevisions[9] == 6)
        #expect(report.madeRevisions[10] == nil)
    }

    @Test func staleLinearizableReadFails() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "old", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.run(.put(key: "a", value: "new", leaseID: nil), invoke: 20, complete: 30)  // rev 3
        // A member answers with its current header but the old value.
        let read = h.record(
            .get(key: "a", serializable: false), invoke: 40, complete: 50,
            outcome: .ok(HistoryResponse(revision: 3, kvs: [kv("a", "old", create: 2, mod: 2, version: 1)])))
        let found = violations(h)
        #expect(found.contains { $0.kind == .staleRead && $0.operationIDs.first == read }, "\(found)")
    }

    @Test func readAtOldRevisionAfterNewerWriteFails() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "old", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.run(.put(key: "a", value: "new", leaseID: nil), invoke: 20, complete: 30)  // rev 3
        // A lagging member answers consistently with revision 2, but the read is linearizable.
        let read = h.record(
            .get(key: "a", serializable: false), invoke: 40, complete: 50,
            outcome: .ok(HistoryResponse(revision: 2, kvs: [kv("a", "old", create: 2, mod: 2, version: 1)])))
        let found = violations(h)
        #expect(found.contains { $0.kind == .staleRead && $0.operationIDs == [read, 2] }, "\(found)")
    }

    @Test func serializableReadMayLagButMustMatchAPrefix() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "old", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.run(.put(key: "a", value: "new", leaseID: nil), invoke: 20, complete: 30)  // rev 3
        h.record(
            .get(key: "a", serializable: true), invoke: 40, complete: 50,
            outcome: .ok(HistoryResponse(revision: 2, kvs: [kv("a", "old", create: 2, mod: 2, version: 1)])))
        #expect(violations(h).isEmpty)
        let bad = h.record(
            .get(key: "a", serializable: true), invoke: 60, complete: 70,
            outcome: .ok(HistoryResponse(revision: 3, kvs: [kv("a", "old", create: 2, mod: 2, version: 1)])))
        let found = violations(h)
        #expect(found.map(\.kind) == [.serializableRead], "\(found)")
        #expect(found.first?.operationIDs.first == bad)
    }

    @Test func phantomWriteFails() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.watchEverything()
        h.watches.append(
            WatchRecord(
                watcher: 1, prefix: "", startRevision: 2, receivedNanos: 99_999, revision: 3,
                events: [WatchEvent(kind: .put, kv: kv("ghost", "boo", create: 3, mod: 3, version: 1))]))
        let found = violations(h)
        #expect(found.contains { $0.kind == .phantomWrite && $0.revision == 3 }, "\(found)")
    }

    @Test func unobservedRevisionsNeedPossibleAuthors() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.record(
            .put(key: "b", value: "1", leaseID: nil), invoke: 20, complete: 30,
            outcome: .ok(HistoryResponse(revision: 5)))  // revisions 3 and 4 came from nowhere
        let found = violations(h)
        #expect(found.contains { $0.kind == .phantomWrite && $0.revision == 3 }, "\(found)")
    }

    @Test func duplicateApplyFails() {
        var h = HistoryBuilder()
        let put = h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.watchEverything()
        h.watches.append(
            WatchRecord(
                watcher: 1, prefix: "", startRevision: 2, receivedNanos: 99_999, revision: 3,
                events: [WatchEvent(kind: .put, kv: kv("a", "1", create: 2, mod: 3, version: 2))]))
        let found = violations(h)
        #expect(found.contains { $0.kind == .duplicateApply && $0.operationIDs == [put] }, "\(found)")
    }

    @Test func nonAtomicMultiPutFails() {
        var h = HistoryBuilder()
        let put = h.record(
            .multiPut(puts: [KeyValuePair(key: "a", value: "1"), KeyValuePair(key: "b", value: "1")]),
            invoke: 0, complete: 10, outcome: .ok(HistoryResponse(revision: 2)))
        h.watches.append(
            WatchRecord(
                watcher: 1, prefix: "", startRevision: 2, receivedNanos: 5, revision: 2,
                events: [WatchEvent(kind: .put, kv: kv("a", "1", create: 2, mod: 2, version: 1))]))
        h.watches.append(
            WatchRecord(
                watcher: 1, prefix: "", startRevision: 2, receivedNanos: 6, revision: 3,
                events: [WatchEvent(kind: .put, kv: kv("b", "1", create: 3, mod: 3, version: 1))]))
        let found = violations(h)
        #expect(
            found.contains { $0.kind == .nonAtomicWrite && $0.operationIDs == [put] && $0.revision == 3 }, "\(found)")
    }

    @Test func writeEffectMismatchFails() {
        var h = HistoryBuilder()
        let put = h.record(
            .put(key: "a", value: "mine", leaseID: nil), invoke: 0, complete: 10,
            outcome: .ok(HistoryResponse(revision: 2)))
        h.watches.append(
            WatchRecord(
                watcher: 1, prefix: "", startRevision: 2, receivedNanos: 5, revision: 2,
                events: [WatchEvent(kind: .put, kv: kv("a", "other", create: 2, mod: 2, version: 1))]))
        let found = violations(h)
        #expect(found.contains { $0.kind == .conflictingObservation && $0.operationIDs == [put] }, "\(found)")
    }

    @Test func realTimeOrderViolationFails() {
        var h = HistoryBuilder()
        let first = h.record(
            .put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10,
            outcome: .ok(HistoryResponse(revision: 3)))
        let second = h.record(
            .put(key: "b", value: "1", leaseID: nil), invoke: 20, complete: 30,
            outcome: .ok(HistoryResponse(revision: 2)))
        let found = violations(h)
        #expect(found.contains { $0.kind == .realTimeOrder && $0.operationIDs == [second, first] }, "\(found)")
    }

    @Test func unknownWriteCannotTakeEffectBeforeItsInvocation() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        // Revision 3 already existed when this read completed…
        h.record(
            .get(key: "x", serializable: false), invoke: 20, complete: 30,
            outcome: .ok(HistoryResponse(revision: 3)))
        // …yet it turns out to be the effect of an unknown-outcome put invoked only afterwards.
        h.record(
            .put(key: "c", value: "late", leaseID: nil), invoke: 40, complete: 50,
            outcome: .unknown(reason: "timeout"))
        h.record(
            .get(key: "c", serializable: false), invoke: 60, complete: 70,
            outcome: .ok(HistoryResponse(revision: 3, kvs: [kv("c", "late", create: 3, mod: 3, version: 1)])))
        // The only operation that could have written it began too late, so nothing could have.
        let found = violations(h)
        #expect(found.contains { $0.kind == .phantomWrite && $0.revision == 3 }, "\(found)")
    }

    @Test func badVersionFails() {
        var h = HistoryBuilder()
        h.run(.put(key: "a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // rev 2
        h.run(.put(key: "a", value: "2", leaseID: nil), invoke: 20, complete: 30)  // rev 3
        h.record(
            .get(key: "a", serializable: false), invoke: 40, complete: 50,
            outcome: .ok(HistoryResponse(revision: 3, kvs: [kv("a", "2", create: 2, mod: 3, version: 5)])))
        h.watchEverything()
        let found = violations(h)
        #expect(found.contains { $0.kind == .badMetadata || $0.kind == .conflictingObservation }, "\(found)")
    }

    @Test func leaseExpiryExplainsDeletes() {
        var h = HistoryBuilder()
        h.run(.leaseGrant(leaseID: 9, ttlSeconds: 1), invoke: 0, complete: 5)
        h.run(.put(key: "a", value: "1", leaseID: 9), invoke: 10, complete: 20)  // rev 2
        // The lease expires: the store deletes the key at revision 3 with no client request.
        h.watchEverything()
        h.watches.append(
            WatchRecord(
                watcher: 1, prefix: "", startRevision: 2, receivedNanos: 99_999, revision: 3,
                events: [WatchEvent(kind: .delete, kv: kv("a", "", create: 0, mod: 3, version: 0))]))
        h.record(
            wholeKeySpace, invoke: 2_000_000_000, complete: 2_000_000_010,
            outcome: .ok(HistoryResponse(revision: 3)))
        let report = ChaosChecker.check(lines: h.lines)
        #expect(report.violations.isEmpty, "\(report.summary)")
    }

    @Test func leaseExpiryBeforeItsTTLFails() {
        var h = HistoryBuilder()
        let grant = h.run(.leaseGrant(leaseID: 9, ttlSeconds: 60), invoke: 0, complete: 5)
        h.run(.put(key: "a", value: "1", leaseID: 9), invoke: 10, complete: 20)  // rev 2
        h.watches.append(
            WatchRecord(
                watcher: 1, prefix: "", startRevision: 2, receivedNanos: 30, revision: 3,
                events: [WatchEvent(kind: .delete, kv: kv("a", "", create: 0, mod: 3, version: 0))]))
        // A read one second in already sees revision 3: far sooner than the 60 s TTL.
        h.record(
            wholeKeySpace, invoke: 1_000_000_000, complete: 1_000_000_010,
            outcome: .ok(HistoryResponse(revision: 3)))
        let found = violations(h)
        #expect(found.map(\.kind) == [.prematureLeaseExpiry], "\(found)")
        #expect(found.first?.operationIDs == [grant])
    }
}
