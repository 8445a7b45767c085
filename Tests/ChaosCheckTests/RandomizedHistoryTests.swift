import ChaosCheck
import Testing

/// SplitMix64: a small seeded generator so every randomized history replays exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Generates valid concurrent histories: clients issue operations one at a time with random overlaps, each
/// takes effect at a random point inside its interval on a sequential store, some end unknown (half of
/// those took effect), leases expire on their own, serializable reads may lag, and watchers see every revision
/// (one of them reconnects).
struct RandomHistory {
    var builder = HistoryBuilder()
    var snapshots: [Int64: [String: StoredValue]] = [1: [:]]
    var random: SeededGenerator

    static let keys = ["k0", "k1", "k2", "k3", "k4"]

    init(seed: UInt64, clients: Int = 4, operationsPerClient: Int = 40, unknownPercent: Int = 8) {
        random = SeededGenerator(state: seed)
        struct Planned {
            var client: Int
            var invoke: UInt64
            var effect: UInt64
            var complete: UInt64
            var unknown: Bool
            var applied: Bool
        }
        var planned: [Planned] = []
        for client in 0..<clients {
            var time: UInt64 = 0
            for _ in 0..<operationsPerClient {
                let invoke = time + UInt64.random(in: 1...20, using: &random)
                let effect = invoke + UInt64.random(in: 1...30, using: &random)
                let complete = effect + UInt64.random(in: 1...30, using: &random)
                let unknown = Int.random(in: 0..<100, using: &random) < unknownPercent
                planned.append(
                    Planned(
                        client: client, invoke: invoke, effect: effect, complete: complete, unknown: unknown,
                        applied: !unknown || Bool.random(using: &random)))
                time = complete
            }
        }
        var nextLease: Int64 = 100
        for step in planned.sorted(by: { ($0.effect, $0.client) < ($1.effect, $1.client) }) {
            // Now and then a lease runs out of time and the store revokes it with no client asking.
            if Int.random(in: 0..<100, using: &random) < 3, let lease = builder.store.leases.keys.min() {
                _ = builder.store.apply(.leaseRevoke(leaseID: lease))
                snapshots[builder.store.revision] = builder.store.data
            }
            let operation = chooseOperation(nextLease: &nextLease)
            if case .get(_, true) = operation, step.applied, !step.unknown {
                builder.record(
                    operation, invoke: step.invoke, complete: step.complete, client: step.client,
                    outcome: .ok(laggingRead(operation)))
                continue
            }
            if case .range(_, _, true) = operation, step.applied, !step.unknown {
                builder.record(
                    operation, invoke: step.invoke, complete: step.complete, client: step.client,
                    outcome: .ok(laggingRead(operation)))
                continue
            }
            if step.applied {
                builder.run(
                    operation, invoke: step.invoke, complete: step.complete, client: step.client,
                    unknown: step.unknown)
                snapshots[builder.store.revision] = builder.store.data
            } else {
                builder.record(
                    operation, invoke: step.invoke, complete: step.complete, client: step.client,
                    outcome: .unknown(reason: "timeout"))
            }
        }
        let end = planned.map(\.complete).max()! + 100
        builder.run(wholeKeySpace, invoke: end, complete: end + 10, client: clients)
        builder.watchEverything(watcher: 1, prefix: "")
        // A second watcher on one key's prefix loses its connection halfway and resumes where it stopped.
        let events = builder.store.events.filter { $0.events.contains { $0.kv.key.hasPrefix("k1") } }
        let half = events.count / 2
        for (index, entry) in events.enumerated() {
            let start = index >= half && half > 0 ? events[half - 1].revision + 1 : 2
            builder.watches.append(
                WatchRecord(
                    watcher: 2, prefix: "k1", startRevision: start,
                    receivedNanos: UInt64(entry.revision) * 1000 + 1, revision: entry.revision,
                    events: entry.events.filter { $0.kv.key.hasPrefix("k1") }))
        }
    }

    mutating func chooseOperation(nextLease: inout Int64) -> HistoryOperation {
        let key = Self.keys.randomElement(using: &random)!
        let value = "v\(Int.random(in: 0..<1_000_000, using: &random))"
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<20: return .get(key: key, serializable: false)
        case 20..<25: return .get(key: key, serializable: true)
        case 25..<32: return .range(start: "k0", end: "k3", serializable: false)
        case 32..<35: return .range(start: "k", end: "l", serializable: true)
        case 35..<55: return .put(key: key, value: value, leaseID: nil)
        case 55..<63: return .delete(key: key)
        case 63..<73:
            let current = builder.store.data[key]?.modRevision ?? 0
            return .compareAndSet(
                key: key, expectedModRevision: Bool.random(using: &random) ? current : current + 1,
                value: value)
        case 73..<85:
            let other = Self.keys.filter { $0 != key }.randomElement(using: &random)!
            return .multiPut(puts: [KeyValuePair(key: key, value: value), KeyValuePair(key: other, value: value + "m")])
        case 85..<90:
            nextLease += 1
            // A zero TTL: the simulated store lets leases run out at any moment.
            return .leaseGrant(leaseID: nextLease, ttlSeconds: 0)
        case 90..<96:
            if let lease = builder.store.leases.keys.sorted().last {
                return .put(key: key, value: value, leaseID: lease)
            }
            return .put(key: key, value: value, leaseID: nil)
        default:
            if let lease = builder.store.leases.keys.sorted().first { return .leaseRevoke(leaseID: lease) }
            return .get(key: key, serializable: false)
        }
    }

    /// A serializable read served by a member up to a few revisions behind.
    mutating func laggingRead(_ operation: HistoryOperation) -> HistoryResponse {
        let revision = max(1, builder.store.revision - Int64.random(in: 0...3, using: &random))
        // The latest snapshot at or below the revision: revisions without one changed nothing stored.
        var data: [String: StoredValue] = [:]
        var probe = revision
        while probe >= 1 {
            if let snapshot = snapshots[probe] {
                data = snapshot
                break
            }
            probe -= 1
        }
        var lagging = SimulatedStore()
        lagging.revision = revision
        lagging.data = data
        return lagging.apply(operation)
    }
}

@Suite struct RandomizedHistoryTests {
    static let seeds: [UInt64] = Array(1...24)

    @Test(arguments: seeds) func generatedHistoryPasses(seed: UInt64) {
        let history = RandomHistory(seed: seed)
        let report = history.builder.check()
        #expect(report.verdict == .pass, "seed \(seed): \(report.summary)")
        #expect(report.finalReadID != nil)
    }

    @Test(arguments: seeds) func mutatedHistoryFails(seed: UInt64) {
        var history = RandomHistory(seed: seed)
        let mutation = Mutation.allCases[Int(seed) % Mutation.allCases.count]
        let applied = mutation.apply(to: &history.builder)
        #expect(applied, "seed \(seed): no place to apply \(mutation)")
        let report = history.builder.check()
        #expect(report.verdict == .fail, "seed \(seed), \(mutation): \(report.summary)")
    }
}

/// One wrong response, of the kinds a buggy member produces.
enum Mutation: CaseIterable {
    /// A linearizable get answers with the key's previous value.
    case staleGet
    /// A watcher never receives one response.
    case droppedWatchResponse
    /// A put's response names a different revision.
    case wrongPutRevision
    /// The final read lacks a key.
    case finalReadMissesKey
    /// A watcher receives one response twice.
    case duplicatedWatchResponse
    /// A read returns a value nobody wrote.
    case invented

    func apply(to h: inout HistoryBuilder) -> Bool {
        switch self {
        case .staleGet:
            for index in h.records.indices {
                guard case .get(let key, false) = h.records[index].operation,
                    case .ok(var response) = h.records[index].outcome, let current = response.kvs.first,
                    current.version > 1,
                    let older = h.store.events.last(where: { entry in
                        entry.revision < current.modRevision && entry.events.contains { $0.kv.key == key }
                    })?.events.first(where: { $0.kv.key == key && $0.kind == .put })
                else { continue }
                response.kvs = [older.kv]
                h.records[index].outcome = .ok(response)
                return true
            }
            return false
        case .droppedWatchResponse:
            let first = h.watches.indices.filter { h.watches[$0].watcher == 1 }
            guard first.count >= 3 else { return false }
            h.watches.remove(at: first[first.count / 2])
            return true
        case .wrongPutRevision:
            guard
                let index = h.records.indices.first(where: {
                    if case .put = h.records[$0].operation, case .ok = h.records[$0].outcome { return true }
                    return false
                }), case .ok(var response) = h.records[index].outcome
            else { return false }
            response.revision += 1
            h.records[index].outcome = .ok(response)
            return true
        case .finalReadMissesKey:
            let index = h.records.count - 1
            guard case .ok(var response) = h.records[index].outcome, !response.kvs.isEmpty else { return false }
            response.kvs.removeFirst()
            h.records[index].outcome = .ok(response)
            return true
        case .duplicatedWatchResponse:
            guard let index = h.watches.indices.first(where: { h.watches[$0].watcher == 1 }) else { return false }
            var copy = h.watches[index]
            copy.receivedNanos = h.watches.map(\.receivedNanos).max()! + 1
            h.watches.append(copy)
            return true
        case .invented:
            for index in h.records.indices {
                guard case .range = h.records[index].operation, case .ok(var response) = h.records[index].outcome,
                    !response.kvs.isEmpty
                else { continue }
                response.kvs[0].value = "never-written"
                h.records[index].outcome = .ok(response)
                return true
            }
            return false
        }
    }
}
