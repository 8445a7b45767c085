/// Checks that no acknowledged write was lost: in the final linearizable read over the whole key space, every
/// acknowledged write's effect is either there or was superseded by a later revision (overwritten, or deleted
/// by a delete, a lease revoke or a lease expiry the history shows or cannot rule out).
public struct LostWriteChecker: Sendable {
    public var records: [HistoryRecord]
    public var history: CommittedHistory

    public init(records: [HistoryRecord], history: CommittedHistory) {
        self.records = records
        self.history = history
    }

    /// The last acknowledged linearizable range (by completion) that covers every key the history writes.
    public func findFinalRead() -> HistoryRecord? {
        var written: Set<String> = Set(history.keys)
        for record in records where record.operation.isWrite {
            for key in record.operation.keys ?? [] { written.insert(key) }
        }
        let candidates = records.filter { record in
            guard record.response != nil, case .range(let start, let end, false) = record.operation else {
                return false
            }
            return written.allSatisfy { KeySpace.range(start: start, end: end, contains: $0) }
        }
        return candidates.max { ($0.completeNanos, $0.id) < ($1.completeNanos, $1.id) }
    }

    /// Checks every acknowledged write against `finalRead`, or against `findFinalRead()` when it is nil.
    public func check(finalRead: HistoryRecord? = nil) -> LostWriteReport {
        guard let final = finalRead ?? findFinalRead(), let response = final.response,
            case .range(let start, let end, _) = final.operation
        else { return LostWriteReport(finalReadID: nil, violations: []) }
        let readRevision = response.revision
        var returned: [String: StoredValue] = [:]
        for kv in response.kvs { returned[kv.key] = kv }
        var violations: [Violation] = []

        for record in records.sorted(by: { $0.id < $1.id }) {
            guard record.response != nil else { continue }
            let revision: Int64
            switch WriteStatus(record) {
            case .made(let made):
                revision = made
            case .maybe(let maybe):
                guard history.revisions[maybe]?.author == .operation(record.id) else { continue }
                revision = maybe
            case .none, .unknown:
                continue
            }
            guard revision <= readRevision else { continue }
            var puts: [String: String] = [:]
            var deletes: [String] = []
            switch WriteEffect(record.operation) {
            case .puts(let effect): puts = effect.mapValues(\.value)
            case .deleteKey(let key): deletes = [key]
            case .revoke:
                deletes = (history.revisions[revision]?.changes ?? [:]).filter { $0.value == .delete }.map(\.key)
            case .none: continue
            }
            func lost(_ key: String, _ what: String) {
                violations.append(
                    Violation(
                        kind: .lostWrite,
                        message: "acknowledged op #\(record.id) (\(record.operation.shortDescription)) at revision "
                            + "\(revision) is lost: final read #\(final.id) at revision \(readRevision) \(what)",
                        operationIDs: [record.id, final.id], revision: revision))
            }
            // A later change to the key supersedes this write; the latest acknowledged one carries the check.
            func superseded(_ key: String) -> Bool {
                !history.changes(to: key, after: revision, upTo: readRevision).isEmpty
            }
            for (key, value) in puts.sorted(by: { KeySpace.precedes($0.key, $1.key) })
            where KeySpace.range(start: start, end: end, contains: key) && !superseded(key) {
                if let kv = returned[key] {
                    if kv.modRevision != revision || kv.value != value {
                        lost(key, "shows \"\(key)\" = \"\(kv.value)\" from revision \(kv.modRevision)")
                    }
                } else if !history.mayHaveHiddenChange(to: key, after: revision, upTo: readRevision) {
                    lost(key, "lacks \"\(key)\" and nothing deleted it since")
                }
            }
            for key in deletes.sorted(by: KeySpace.precedes)
            where KeySpace.range(start: start, end: end, contains: key) && !superseded(key) {
                if let kv = returned[key] {
                    lost(key, "still shows \"\(key)\" = \"\(kv.value)\" from revision \(kv.modRevision)")
                }
            }
        }
        return LostWriteReport(finalReadID: final.id, violations: violations)
    }
}

/// The outcome of `LostWriteChecker`.
public struct LostWriteReport: Sendable, Hashable {
    /// The read the check used; nil when the history had none, in which case nothing was checked.
    public var finalReadID: Int?
    public var violations: [Violation]
}
