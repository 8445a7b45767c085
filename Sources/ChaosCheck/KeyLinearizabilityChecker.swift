/// Checks that each key's history is linearizable against `EtcdKeyModel`, one key at a time
/// (P-compositionality).
///
/// Every operation is projected onto each key it touches: a multi-key put becomes a put on each of its keys at
/// the one revision, a linearizable range a read of each key it covers, a lease revoke a conditional delete on
/// each key ever attached to the lease. Serializable reads, failed operations and reads with unknown outcome
/// carry no linearizability obligation and are left out; the revision checker covers them.
public struct KeyLinearizabilityChecker: Sendable {
    /// The most model steps the search may take per key.
    public var budget: Int
    public var leasesMayExpire: Bool

    public init(budget: Int = 2_000_000, leasesMayExpire: Bool = true) {
        self.budget = budget
        self.leasesMayExpire = leasesMayExpire
    }

    public typealias Operation = LinearizableOperation<EtcdKeyModel.Input, EtcdKeyModel.Output>

    /// Runs the search for every key, using what the revision checker learned about unknown-outcome writes:
    /// one the rebuilt history shows took effect gets that revision as its answer, and when no revision of the
    /// history went unobserved, one it does not show, invoked after the history's base revision was reached,
    /// had no effect and is left out. Both keep the search
    /// from trying every unknown write at every point.
    public func check(_ records: [HistoryRecord], revisions: RevisionHistoryReport) -> KeyLinearizabilityReport {
        let everyRevisionSeen = revisions.history.unobservedRevisions.isEmpty
        // Revisions at or below the base were never counted; only a write invoked after an answer at the base
        // or later arrived is sure to have made its revision above it.
        let base = revisions.history.baseRevision
        let pastBase =
            records.filter { ($0.response?.revision ?? .min) >= base }.map(\.completeNanos).min() ?? .max
        // When each revision was committed at the latest: the write that made it took effect before then.
        let commitBound = CommitTimeBound(records)
        var resolved: [HistoryRecord] = []
        for var record in records {
            if case .unknown = record.outcome, record.operation.isWrite {
                if let revision = revisions.madeRevisions[record.id] {
                    var response = HistoryResponse(revision: revision)
                    switch record.operation {
                    case .compareAndSet: response.succeeded = true
                    case .delete: response.deleted = 1
                    case .put, .multiPut, .leaseGrant, .leaseRevoke, .get, .range: break
                    }
                    record.outcome = .ok(response)
                    record.completeNanos = max(record.invokeNanos, commitBound.committedBy(revision))
                } else if everyRevisionSeen, record.invokeNanos > pastBase {
                    continue
                }
            }
            resolved.append(record)
        }
        return check(resolved)
    }

    /// Runs the search for every key.
    public func check(_ records: [HistoryRecord]) -> KeyLinearizabilityReport {
        let checker = LinearizabilityChecker(model: EtcdKeyModel(leasesMayExpire: leasesMayExpire), budget: budget)
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var report = KeyLinearizabilityReport()
        let partitions = Self.operations(for: records)
        for key in partitions.keys.sorted(by: KeySpace.precedes) {
            let operations = partitions[key]!
            let result = checker.check(operations)
            report.results[key] = result
            report.keysChecked += 1
            switch result {
            case .linearizable:
                break
            case .notLinearizable(let failure):
                let stuck = byID[failure.operationID].map { " (\($0.operation.shortDescription))" } ?? ""
                let recent = failure.linearizedPrefix.suffix(3)
                report.violations.append(
                    Violation(
                        kind: .notLinearizable,
                        message: "key \"\(key)\": \(operations.count) operations admit no linearization; "
                            + "op #\(failure.operationID)\(stuck) cannot follow the longest linearizable prefix of "
                            + "\(failure.linearizedPrefix.count) operations"
                            + (recent.isEmpty
                                ? "" : " (ending " + recent.map { "#\($0)" }.joined(separator: ", ") + ")"),
                        operationIDs: [failure.operationID] + recent.reversed()))
            case .unknown(.budgetExhausted(let steps)):
                report.inconclusive.append(
                    "key \"\(key)\": linearizability search gave up after \(steps) steps over "
                        + "\(operations.count) operations")
            }
        }
        return report
    }

    /// The history projected onto each key, in invocation order.
    public static func operations(for records: [HistoryRecord]) -> [String: [Operation]] {
        var keys: Set<String> = []
        var leaseKeys: [Int64: Set<String>] = [:]
        for record in records {
            for key in record.operation.keys ?? [] { keys.insert(key) }
            for kv in record.response?.kvs ?? [] { keys.insert(kv.key) }
            if case .put(let key, _, let lease?) = record.operation { leaseKeys[lease, default: []].insert(key) }
        }
        var partitions: [String: [Operation]] = [:]
        func add(_ key: String, _ record: HistoryRecord, _ input: EtcdKeyModel.Input, _ output: EtcdKeyModel.Output?) {
            partitions[key, default: []].append(
                Operation(
                    id: record.id, input: input, output: output, invoke: record.invokeNanos,
                    complete: output == nil ? nil : record.completeNanos))
        }
        let ordered = records.sorted { ($0.invokeNanos, $0.id) < ($1.invokeNanos, $1.id) }
        for record in ordered {
            let response: HistoryResponse?
            switch record.outcome {
            case .failed: continue
            case .unknown: response = nil
            case .ok(let ok): response = ok
            }
            switch record.operation {
            case .get(let key, let serializable):
                guard !serializable, let response else { continue }
                add(
                    key, record, .read,
                    EtcdKeyModel.Output(revision: response.revision, kv: Self.value(of: key, in: response)))
            case .range(let start, let end, let serializable):
                guard !serializable, let response else { continue }
                for key in keys where KeySpace.range(start: start, end: end, contains: key) {
                    add(
                        key, record, .read,
                        EtcdKeyModel.Output(revision: response.revision, kv: Self.value(of: key, in: response)))
                }
            case .put(let key, let value, let lease):
                add(key, record, .put(value: value, lease: lease ?? 0), response.map { .init(revision: $0.revision) })
            case .multiPut(let puts):
                for pair in puts {
                    add(
                        pair.key, record, .put(value: pair.value, lease: 0),
                        response.map { .init(revision: $0.revision) })
                }
            case .delete(let key):
                add(key, record, .delete, response.map { .init(revision: $0.revision, deleted: $0.deleted) })
            case .compareAndSet(let key, let expected, let value):
                add(
                    key, record, .compareAndSet(expectedModRevision: expected, value: value),
                    response.map { .init(revision: $0.revision, succeeded: $0.succeeded) })
            case .leaseRevoke(let lease):
                for key in leaseKeys[lease] ?? [] {
                    add(key, record, .leaseRevoke(lease), response.map { .init(revision: $0.revision) })
                }
            case .leaseGrant:
                continue
            }
        }
        return partitions
    }

    /// The key's value in a response, with the key cleared: the model compares values, not names.
    private static func value(of key: String, in response: HistoryResponse) -> StoredValue? {
        guard var kv = response.kvs.first(where: { $0.key == key }) else { return nil }
        kv.key = ""
        return kv
    }
}

/// The outcome of `KeyLinearizabilityChecker`.
public struct KeyLinearizabilityReport: Sendable {
    public var violations: [Violation] = []
    /// Keys whose search ran out of budget.
    public var inconclusive: [String] = []
    public var keysChecked = 0
    /// The verdict for each key.
    public var results: [String: LinearizabilityResult] = [:]
}
