/// Checks each watcher's stream against etcd's watch guarantees and the committed history:
///
/// - events arrive in strictly increasing revision order within and across responses, and none twice;
/// - all events of one revision for the watched prefix arrive in one response;
/// - a resumed stream starts exactly at the revision after the last one received, or at the compact revision
///   after the member reported the resume point compacted (the revisions in between may then be missing);
/// - between its first start revision and the last revision it received, the watcher got every committed
///   change for its prefix.
public struct WatchChecker: Sendable {
    public var watches: [WatchRecord]
    public var history: CommittedHistory
    /// At most this many violations are reported per watcher; the rest are counted in one line.
    public var maxViolationsPerWatcher: Int

    public init(watches: [WatchRecord], history: CommittedHistory, maxViolationsPerWatcher: Int = 20) {
        self.watches = watches
        self.history = history
        self.maxViolationsPerWatcher = maxViolationsPerWatcher
    }

    struct EventID: Hashable {
        var revision: Int64
        var key: String
    }

    /// Checks every watcher, in watcher order.
    public func check() -> [Violation] {
        var byWatcher: [Int: [WatchRecord]] = [:]
        // Arrival order; responses received at the same instant keep their order in the file.
        for (_, watch) in watches.enumerated().sorted(by: {
            ($0.element.receivedNanos, $0.offset) < ($1.element.receivedNanos, $1.offset)
        }) {
            byWatcher[watch.watcher, default: []].append(watch)
        }
        var violations: [Violation] = []
        for watcher in byWatcher.keys.sorted() {
            var found = check(watcher: watcher, responses: byWatcher[watcher]!)
            if found.count > maxViolationsPerWatcher {
                let dropped = found.count - maxViolationsPerWatcher
                found = Array(found.prefix(maxViolationsPerWatcher))
                found.append(
                    Violation(
                        kind: found.last!.kind, message: "and \(dropped) more violations of this watcher",
                        watcher: watcher))
            }
            violations.append(contentsOf: found)
        }
        return violations
    }

    private func check(watcher: Int, responses: [WatchRecord]) -> [Violation] {
        var violations: [Violation] = []
        func report(_ kind: Violation.Kind, _ revision: Int64?, _ message: String) {
            violations.append(Violation(kind: kind, message: message, watcher: watcher, revision: revision))
        }
        let prefix = responses[0].prefix
        var seen: Set<EventID> = []
        var seenRevisions: Set<Int64> = []
        var lastRevision: Int64 = 0
        var lastRevisionResponse = -1
        var streamStart: Int64?
        var coverageStart: Int64?
        var compactedAt: Int64?
        // Revision ranges (exclusive low, exclusive high) the watcher may legitimately have missed.
        var allowedGaps: [(after: Int64, before: Int64)] = []

        for (index, response) in responses.enumerated() {
            if response.prefix != prefix {
                report(
                    .watchBadResume, nil,
                    "watches prefix \"\(response.prefix)\" after watching \"\(prefix)\"; one watcher, one prefix")
            }
            if streamStart == nil {
                streamStart = response.startRevision
                if response.startRevision > 0 { coverageStart = response.startRevision }
            } else if response.startRevision != streamStart {
                let expected = lastRevision > 0 ? lastRevision + 1 : (coverageStart ?? response.startRevision)
                let start = response.startRevision
                if let compact = compactedAt, start > expected, start <= compact {
                    allowedGaps.append((expected - 1, start))
                } else if start != expected {
                    report(
                        .watchBadResume, start,
                        lastRevision > 0
                            ? "resumed at revision \(start) after receiving up to revision \(lastRevision); "
                                + "expected \(expected)"
                            : "resumed at revision \(start), expected \(expected)")
                }
                streamStart = start
                compactedAt = nil
            }
            if let compact = response.compactRevision { compactedAt = compact }

            for event in response.events {
                let revision = event.kv.modRevision
                let id = EventID(revision: revision, key: event.kv.key)
                if coverageStart == nil { coverageStart = revision }
                if seen.contains(id) {
                    report(.watchDuplicate, revision, "received \(event.kind.rawValue) \"\(id.key)\" again")
                    continue
                }
                if revision < lastRevision {
                    report(
                        .watchOutOfOrder, revision,
                        "received \(event.kind.rawValue) \"\(id.key)\" after an event of revision \(lastRevision)")
                } else if revision == lastRevision, lastRevisionResponse != index {
                    report(.watchNonAtomic, revision, "the events of this revision came in more than one response")
                } else if let start = streamStart, start > 0, revision < start {
                    report(.watchBadResume, revision, "a stream that started at revision \(start) sent this revision")
                }
                seen.insert(id)
                seenRevisions.insert(revision)
                if revision >= lastRevision {
                    lastRevision = revision
                    lastRevisionResponse = index
                }
            }
        }

        guard let from = coverageStart, lastRevision >= from else { return violations }
        for revision in history.revisions.keys.sorted() where revision >= from && revision <= lastRevision {
            if allowedGaps.contains(where: { revision > $0.after && revision < $0.before }) { continue }
            let missing = history.revisions[revision]!.changes.keys.filter {
                KeySpace.key($0, hasPrefix: prefix) && !seen.contains(EventID(revision: revision, key: $0))
            }.sorted(by: KeySpace.precedes)
            guard !missing.isEmpty else { continue }
            let keys = missing.map { "\"\($0)\"" }.joined(separator: ", ")
            if seenRevisions.contains(revision) {
                report(.watchNonAtomic, revision, "received only part of this revision; missing \(keys)")
            } else {
                report(
                    .watchGap, revision, "missed the change of \(keys) between revisions \(from) and \(lastRevision)")
            }
        }
        return violations
    }
}
