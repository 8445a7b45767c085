import ChaosCheck
import Foundation

/// One client of the workload: issues one operation at a time, each to a random member, at a bounded rate,
/// and records each as it completes.
///
/// Values are unique in the run (`c<client>-<n>`), so that a read tells which write it saw. A
/// compare-and-set expects the mod revision this client last saw for its key, so that some succeed and some
/// fail. Leases carry ids the client chooses (so the history can name them before the grant is answered)
/// and are never kept alive.
struct WorkloadClient: Sendable {
    let number: Int
    let settings: WorkloadSettings
    let cluster: ChaosCluster
    let history: HistoryLog
    let clock: RunClock

    func run(until stop: @escaping @Sendable () -> Bool) async {
        var random = SeededRandom.derived(from: settings.seed, stream: UInt64(number) + 1)
        var sequence = 0
        var seenModRevisions: [String: Int64] = [:]
        var leases: [Int64] = []
        var nextLease: Int64 = 1
        let interval = settings.rate > 0 ? Duration.seconds(1 / settings.rate) : .zero
        while !stop() && !Task.isCancelled {
            let started = ContinuousClock.now
            let operation = nextOperation(
                &random, &sequence, seenModRevisions: seenModRevisions, leases: &leases, nextLease: &nextLease)
            let member = Int.random(in: 0..<cluster.count, using: &random)
            let invoked = clock.nanos
            let outcome = await OperationExecutor.execute(operation, on: cluster.clients[member])
            let record = HistoryRecord(
                id: history.operationID(), client: number, endpoint: cluster.slot(member).endpoint,
                invokeNanos: invoked, completeNanos: clock.nanos, operation: operation, outcome: outcome)
            history.append(.operation(record))
            remember(record, in: &seenModRevisions)
            let elapsed = ContinuousClock.now - started
            if elapsed < interval { try? await Task.sleep(for: interval - elapsed) }
        }
    }

    private func nextOperation(
        _ random: inout SeededRandom, _ sequence: inout Int, seenModRevisions: [String: Int64],
        leases: inout [Int64], nextLease: inout Int64
    ) -> HistoryOperation {
        func value() -> String {
            sequence += 1
            return "c\(number)-\(sequence)"
        }
        let key = settings.key(Int.random(in: 0..<settings.keyCount, using: &random))
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case 0..<15:
            return .get(key: key, serializable: false)
        case 15..<23:
            return .get(key: key, serializable: true)
        case 23..<28:
            return .range(start: settings.prefix, end: settings.prefixEnd, serializable: false)
        case 28..<31:
            return .range(start: settings.prefix, end: settings.prefixEnd, serializable: true)
        case 31..<53:
            return .put(key: key, value: value(), leaseID: nil)
        case 53..<60:
            return .delete(key: key)
        case 60..<74:
            return .compareAndSet(key: key, expectedModRevision: seenModRevisions[key] ?? 0, value: value())
        case 74..<82:
            let count = Int.random(in: 2...3, using: &random)
            var keys: [String] = [key]
            while keys.count < count {
                let other = settings.key(Int.random(in: 0..<settings.keyCount, using: &random))
                if !keys.contains(other) { keys.append(other) }
            }
            return .multiPut(puts: keys.sorted().map { KeyValuePair(key: $0, value: value()) })
        case 82..<92:
            guard let lease = leases.last, Int.random(in: 0..<3, using: &random) > 0 else {
                // Ids unique in the run and positive: the client's number in the high bits.
                let lease = Int64(number + 1) << 32 | nextLease
                nextLease += 1
                leases.append(lease)
                if leases.count > 4 { leases.removeFirst() }
                return .leaseGrant(leaseID: lease, ttlSeconds: settings.leaseTTL)
            }
            return .put(key: key, value: value(), leaseID: lease)
        default:
            guard !leases.isEmpty else { return .get(key: key, serializable: false) }
            let lease = leases.remove(at: Int.random(in: 0..<leases.count, using: &random))
            return .leaseRevoke(leaseID: lease)
        }
    }

    /// Keeps the latest mod revision this client saw for each key, for its next compare-and-set.
    private func remember(_ record: HistoryRecord, in seen: inout [String: Int64]) {
        guard case .ok(let response) = record.outcome else { return }
        switch record.operation {
        case .get(let key, _):
            seen[key] = response.kvs.first?.modRevision ?? 0
        case .range:
            var fresh: [String: Int64] = [:]
            for kv in response.kvs { fresh[kv.key] = kv.modRevision }
            for number in 0..<settings.keyCount {
                let key = settings.key(number)
                seen[key] = fresh[key] ?? 0
            }
        case .put(let key, _, _):
            seen[key] = response.revision
        case .compareAndSet(let key, _, _):
            if response.succeeded == true { seen[key] = response.revision }
        case .delete(let key):
            seen[key] = 0
        case .multiPut, .leaseGrant, .leaseRevoke:
            break
        }
    }
}
