import ChaosCheck

/// A sequential etcd-like store for building valid histories in tests: it answers each operation as etcd
/// would and records the watch events of each revision.
struct SimulatedStore {
    var revision: Int64 = 1
    var data: [String: StoredValue] = [:]
    var leases: [Int64: Set<String>] = [:]
    /// The events of each revision the store made, in order.
    var events: [(revision: Int64, events: [WatchEvent])] = []

    mutating func apply(_ operation: HistoryOperation) -> HistoryResponse {
        switch operation {
        case .get(let key, _):
            return HistoryResponse(revision: revision, kvs: data[key].map { [$0] } ?? [])
        case .range(let start, let end, _):
            let kvs = data.values.filter { KeySpace.range(start: start, end: end, contains: $0.key) }
                .sorted { KeySpace.precedes($0.key, $1.key) }
            return HistoryResponse(revision: revision, kvs: kvs)
        case .put(let key, let value, let lease):
            revision += 1
            events.append((revision, [put(key, value, lease: lease ?? 0)]))
            return HistoryResponse(revision: revision)
        case .delete(let key):
            guard data[key] != nil else { return HistoryResponse(revision: revision, deleted: 0) }
            revision += 1
            events.append((revision, [remove(key)]))
            return HistoryResponse(revision: revision, deleted: 1)
        case .compareAndSet(let key, let expected, let value):
            guard (data[key]?.modRevision ?? 0) == expected else {
                return HistoryResponse(revision: revision, succeeded: false)
            }
            revision += 1
            events.append((revision, [put(key, value, lease: 0)]))
            return HistoryResponse(revision: revision, succeeded: true)
        case .multiPut(let puts):
            revision += 1
            events.append((revision, puts.map { put($0.key, $0.value, lease: 0) }))
            return HistoryResponse(revision: revision)
        case .leaseGrant(let lease, _):
            leases[lease] = []
            return HistoryResponse(revision: revision)
        case .leaseRevoke(let lease):
            let keys = (leases.removeValue(forKey: lease) ?? []).filter { data[$0]?.lease == lease }
            guard !keys.isEmpty else { return HistoryResponse(revision: revision, deleted: 0) }
            revision += 1
            events.append((revision, keys.sorted(by: KeySpace.precedes).map { remove($0) }))
            return HistoryResponse(revision: revision, deleted: Int64(keys.count))
        }
    }

    private mutating func put(_ key: String, _ value: String, lease: Int64) -> WatchEvent {
        let existing = data[key]
        let kv = StoredValue(
            key: key, value: value, createRevision: existing?.createRevision ?? revision, modRevision: revision,
            version: (existing?.version ?? 0) + 1, lease: lease)
        data[key] = kv
        if lease != 0 { leases[lease, default: []].insert(key) }
        return WatchEvent(kind: .put, kv: kv)
    }

    private mutating func remove(_ key: String) -> WatchEvent {
        data[key] = nil
        return WatchEvent(
            kind: .delete,
            kv: StoredValue(key: key, value: "", createRevision: 0, modRevision: revision, version: 0, lease: 0))
    }
}

/// Builds a history by running operations against a `SimulatedStore` in the order they take effect, with
/// explicit invocation and completion times.
struct HistoryBuilder {
    var store = SimulatedStore()
    var records: [HistoryRecord] = []
    var watches: [WatchRecord] = []
    var nextID = 1

    /// Applies `operation` now (its linearization point) and records it with the given times and outcome kind.
    @discardableResult
    mutating func run(
        _ operation: HistoryOperation, invoke: UInt64, complete: UInt64, client: Int = 0, unknown: Bool = false
    ) -> Int {
        let response = store.apply(operation)
        return record(
            operation, invoke: invoke, complete: complete, client: client,
            outcome: unknown ? .unknown(reason: "timeout") : .ok(response))
    }

    /// Records an operation with an explicit outcome, without applying it.
    @discardableResult
    mutating func record(
        _ operation: HistoryOperation, invoke: UInt64, complete: UInt64, client: Int = 0, outcome: HistoryOutcome
    ) -> Int {
        let id = nextID
        nextID += 1
        records.append(
            HistoryRecord(
                id: id, client: client, endpoint: "127.0.0.1:2379", invokeNanos: invoke, completeNanos: complete,
                operation: operation, outcome: outcome))
        return id
    }

    /// Delivers every event the store made to one watcher, one response per revision.
    mutating func watchEverything(watcher: Int = 1, prefix: String = "", from start: Int64 = 2) {
        for (revision, events) in store.events where revision >= start {
            let matching = events.filter { KeySpace.key($0.kv.key, hasPrefix: prefix) }
            guard !matching.isEmpty else { continue }
            watches.append(
                WatchRecord(
                    watcher: watcher, prefix: prefix, startRevision: start, receivedNanos: UInt64(revision) * 1000,
                    revision: revision, events: matching))
        }
    }

    var lines: [HistoryLine] {
        records.map { .operation($0) } + watches.map { .watch($0) }
    }

    func check(_ options: ChaosCheckOptions = ChaosCheckOptions()) -> ChaosReport {
        ChaosChecker.check(lines: lines, options: options)
    }
}

func kv(_ key: String, _ value: String, create: Int64, mod: Int64, version: Int64, lease: Int64 = 0) -> StoredValue {
    StoredValue(key: key, value: value, createRevision: create, modRevision: mod, version: version, lease: lease)
}

let wholeKeySpace = HistoryOperation.range(start: "", end: "\0", serializable: false)
