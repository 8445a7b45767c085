import ChaosCheck
import Testing

@Suite struct WatchCheckerTests {
    /// Four revisions (2…5) of writes under "w/", plus one outside the prefix.
    static func writes() -> HistoryBuilder {
        var h = HistoryBuilder()
        h.run(.put(key: "w/a", value: "1", leaseID: nil), invoke: 0, complete: 10)  // 2
        h.run(.put(key: "w/b", value: "1", leaseID: nil), invoke: 20, complete: 30)  // 3
        h.run(.put(key: "x", value: "1", leaseID: nil), invoke: 40, complete: 50)  // 4
        h.run(
            .multiPut(puts: [KeyValuePair(key: "w/a", value: "2"), KeyValuePair(key: "w/c", value: "1")]),
            invoke: 60, complete: 70)  // 5
        return h
    }

    static func events(_ h: HistoryBuilder, _ revision: Int64, prefix: String = "w/") -> [WatchEvent] {
        h.store.events.first { $0.revision == revision }!.events.filter { KeySpace.key($0.kv.key, hasPrefix: prefix) }
    }

    static func response(
        _ h: HistoryBuilder, start: Int64, at time: UInt64, _ revisions: [Int64],
        compact: Int64? = nil
    ) -> WatchRecord {
        WatchRecord(
            watcher: 1, prefix: "w/", startRevision: start, receivedNanos: time,
            revision: revisions.last ?? 0, events: revisions.flatMap { events(h, $0) }, compactRevision: compact)
    }

    func check(_ h: HistoryBuilder) -> [Violation] {
        let history = RevisionHistoryChecker(records: h.records, watches: h.watches).check().history
        return WatchChecker(watches: h.watches, history: history).check()
    }

    @Test func completeStreamPasses() {
        var h = Self.writes()
        h.watchEverything(prefix: "w/")
        #expect(check(h).isEmpty)
        #expect(ChaosChecker.check(lines: h.lines).violations.isEmpty)
    }

    @Test func resumedStreamPasses() {
        var h = Self.writes()
        h.watches = [Self.response(h, start: 2, at: 1, [2, 3]), Self.response(h, start: 4, at: 2, [5])]
        #expect(check(h).isEmpty)
    }

    @Test func compactedResumeMaySkip() {
        var h = Self.writes()
        h.watches = [
            Self.response(h, start: 2, at: 1, [2]),
            WatchRecord(
                watcher: 1, prefix: "w/", startRevision: 3, receivedNanos: 2, revision: 5, events: [],
                compactRevision: 5),
            Self.response(h, start: 5, at: 3, [5]),
        ]
        #expect(check(h).isEmpty, "\(check(h))")
    }

    @Test func gapFails() {
        var h = Self.writes()
        h.watches = [Self.response(h, start: 2, at: 1, [2]), Self.response(h, start: 2, at: 2, [5])]
        let found = check(h)
        #expect(found.map(\.kind) == [.watchGap], "\(found)")
        #expect(found.first?.revision == 3)
        #expect(found.first?.watcher == 1)
    }

    @Test func duplicateFails() {
        var h = Self.writes()
        h.watches = [Self.response(h, start: 2, at: 1, [2, 3]), Self.response(h, start: 2, at: 2, [3, 5])]
        #expect(check(h).map(\.kind) == [.watchDuplicate])
    }

    @Test func outOfOrderFails() {
        var h = Self.writes()
        h.watches = [
            Self.response(h, start: 2, at: 1, [3]), Self.response(h, start: 2, at: 2, [2]),
            Self.response(h, start: 2, at: 3, [5]),
        ]
        #expect(check(h).contains { $0.kind == .watchOutOfOrder && $0.revision == 2 })
    }

    @Test func splitRevisionFails() {
        var h = Self.writes()
        let five = Self.events(h, 5)
        h.watches = [
            Self.response(h, start: 2, at: 1, [2, 3]),
            WatchRecord(watcher: 1, prefix: "w/", startRevision: 2, receivedNanos: 2, revision: 5, events: [five[0]]),
            WatchRecord(watcher: 1, prefix: "w/", startRevision: 2, receivedNanos: 3, revision: 5, events: [five[1]]),
        ]
        #expect(check(h).map(\.kind) == [.watchNonAtomic])
    }

    @Test func badResumeFails() {
        var h = Self.writes()
        // Received up to 3, resumed at 5 instead of 4 (nothing under w/ at 4, but the resume point is wrong).
        h.watches = [Self.response(h, start: 2, at: 1, [2, 3]), Self.response(h, start: 5, at: 2, [5])]
        #expect(check(h).map(\.kind) == [.watchBadResume])
        // Resuming too early replays events.
        h.watches = [Self.response(h, start: 2, at: 1, [2, 3]), Self.response(h, start: 3, at: 2, [3, 5])]
        #expect(Set(check(h).map(\.kind)) == [.watchBadResume, .watchDuplicate])
    }

    @Test func droppedEventFails() {
        var h = Self.writes()
        var five = Self.response(h, start: 2, at: 2, [5])
        five.events.removeLast()
        h.watches = [Self.response(h, start: 2, at: 1, [2, 3]), five]
        #expect(check(h).map(\.kind) == [.watchNonAtomic])
    }

    @Test func missedRevokeDeleteFails() {
        var h = HistoryBuilder()
        h.run(.leaseGrant(leaseID: 3, ttlSeconds: 600), invoke: 0, complete: 5)
        h.run(.put(key: "w/a", value: "1", leaseID: 3), invoke: 10, complete: 20)  // 2
        h.run(.leaseRevoke(leaseID: 3), invoke: 30, complete: 40)  // 3: deletes w/a, which no read sees
        h.run(.put(key: "w/b", value: "1", leaseID: nil), invoke: 50, complete: 60)  // 4
        h.watches = [Self.response(h, start: 2, at: 1, [2]), Self.response(h, start: 2, at: 2, [4])]
        let found = check(h)
        #expect(found.map(\.kind) == [.watchGap], "\(found)")
        #expect(found.first?.revision == 3)
        h.watches = [Self.response(h, start: 2, at: 1, [2, 3, 4])]
        #expect(check(h).isEmpty)
    }
}
