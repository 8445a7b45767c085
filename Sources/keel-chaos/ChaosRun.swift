import ChaosCheck
import Foundation
import Logging
import NIOCore
import StoreClient

/// One run, from the cluster's start to the summary: the phases `keel-chaos run` goes through.
struct ChaosRun {
    let command: RunCommand
    let cluster: ChaosCluster
    let directory: URL
    let seed: UInt64
    let group: any EventLoopGroup
    let logger: Logger

    func execute() async throws -> RunSummary {
        let clock = RunClock()
        let history = try HistoryLog(url: directory.appendingPathComponent("history.jsonl"))
        defer { history.close() }
        if cluster.isManaged {
            try await cluster.startProxies(group: group)
            try cluster.startAll()
        }
        try await waitForStart()
        let prefix = "/keel-chaos/\(String(seed, radix: 16))/"
        let settings = WorkloadSettings(
            clients: command.clients, rate: command.rate, prefix: prefix, keyCount: command.keys,
            leaseTTL: command.leaseTTL, seed: seed)
        let start: Int64
        do {
            start = try await cluster.admin.range(.prefix(Array(prefix.utf8)), options: RangeOptions(countOnly: true))
                .header.revision
        } catch {
            throw ChaosError("cannot read the starting revision: \(error)")
        }
        let watchers = (0..<command.watchers).map {
            Watcher(
                number: $0, prefix: prefix, prefixEnd: settings.prefixEnd, from: start, cluster: cluster,
                history: history, clock: clock, seed: seed)
        }
        let faults = try availableFaults()
        let nemesis = Nemesis(
            settings: Nemesis.Settings(
                faults: faults, interval: .seconds(command.faultInterval),
                restartDelay: .milliseconds(command.restartDelay),
                hold: .milliseconds(command.hold ?? 3 * command.electionTimeout), seed: seed),
            cluster: cluster, history: history, clock: clock, watchers: watchers, group: group, logger: logger)
        let monitor = LeaderMonitor(cluster: cluster, clock: clock)
        let workloadStop = StopFlag()
        let watchStop = StopFlag()
        say("keel-chaos: \(command.clients) clients, \(command.watchers) watchers, faults "
            + faults.map { "\($0.kind.rawValue):\($0.weight)" }.joined(separator: ",") + ", for \(command.duration) s")

        let finalRead = try await withThrowingTaskGroup(of: Void.self, returning: HistoryRecord.self) { tasks in
            for watcher in watchers {
                tasks.addTask { await watcher.run(until: { watchStop.isSet }) }
            }
            tasks.addTask { await monitor.run(until: { watchStop.isSet }) }
            let workload = Task {
                await withDiscardingTaskGroup { clients in
                    for number in 0..<command.clients {
                        let client = WorkloadClient(
                            number: number, settings: settings, cluster: cluster, history: history, clock: clock)
                        clients.addTask { await client.run(until: { workloadStop.isSet }) }
                    }
                    clients.addTask { await nemesis.run(until: { workloadStop.isSet }) }
                }
            }
            try? await Task.sleep(for: .seconds(command.duration))
            let limit = ContinuousClock.now + .seconds(2 * command.duration)
            while (nemesis.injected[FaultKind.killLeader.rawValue] ?? 0) < command.minLeaderKills,
                ContinuousClock.now < limit
            {
                try? await Task.sleep(for: .seconds(1))
            }
            workloadStop.set()
            say("keel-chaos: workload stopping; healing every fault")
            await workload.value
            cluster.faults.heal()
            try cluster.restartDead()
            guard await cluster.waitHealthy(timeout: .seconds(60)) != nil else {
                watchStop.set()
                throw ChaosError("the cluster did not recover within 60 s after the faults were healed")
            }
            let finalRead = try await readEverything(settings: settings, history: history, clock: clock)
            if case .ok(let response) = finalRead.outcome {
                // Watchers catch up to the final revision before they stop, so that the last writes are checked too.
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline, watchers.contains(where: { $0.received < response.revision }) {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            watchStop.set()
            try await tasks.waitForAll()
            return finalRead
        }

        var violations: [String] = []
        var hashes: [String: String] = [:]
        var hashRevision: Int64 = 0
        if case .ok(let response) = finalRead.outcome {
            hashRevision = response.revision
            let (values, problems) = await compareHashKV(at: response.revision)
            hashes = values
            violations += problems
        } else {
            violations.append("final read failed: \(finalRead.outcome)")
        }
        say("keel-chaos: checking \(history.lines.count) history lines")
        let lines = history.lines
        let report = Checking.check(lines: lines, finalRead: finalRead)
        violations = report.violations.map(\.description) + violations
        if let error = history.writeError { violations.append("history file incomplete: \(error)") }
        let windows = RunSummary.unavailability(lines, threshold: .milliseconds(command.unavailabilityThreshold))
        let durations = windows.map(\.milliseconds)
        let counts = HistoryCounts(lines + [.operation(finalRead)])
        let changes = monitor.changes
        let summary = RunSummary(
            durationSeconds: Double(clock.nanos) / 1e9, members: cluster.slots.map(\.name),
            operations: counts.operations, operationsByKind: counts.operationsByKind, faults: counts.faults,
            leaderKills: counts.faults[FaultKind.killLeader.rawValue] ?? 0, leaderChanges: changes.count,
            leaderChangeTimes: changes, unavailabilityWindows: windows,
            unavailabilityThresholdMilliseconds: Double(command.unavailabilityThreshold),
            unavailabilityMaxMilliseconds: durations.max() ?? 0, unavailabilityP50Milliseconds: durations.percentile(50),
            watchResponses: counts.watchResponses, watchEvents: counts.watchEvents,
            watchStreams: watchers.reduce(0) { $0 + $1.streamCount }, lastRevision: report.lastRevision,
            hashKVRevision: hashRevision, hashKV: hashes,
            verdict: violations.isEmpty ? report.verdict.rawValue : ChaosReport.Verdict.fail.rawValue,
            violations: violations, inconclusive: report.inconclusive)
        try summary.write(to: directory)
        return summary
    }

    /// Waits up to 60 s for an agreed leader; fails at once, with its log, when a member started here exits.
    private func waitForStart() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if await cluster.waitHealthy(timeout: .seconds(1)) != nil { return }
            if cluster.isManaged, let dead = (0..<cluster.count).first(where: { !cluster.isRunning($0) }) {
                throw ChaosError("member \(cluster.name(dead)) exited at start; its log ends:\n\(cluster.logTail(dead))")
            }
        }
        throw ChaosError("the cluster has no agreed leader after 60 s; logs in \(directory.path)/logs")
    }

    /// The faults asked for that this cluster allows: process faults only on members the runner started,
    /// link faults only behind its proxies, pauses only with PIDs.
    private func availableFaults() throws -> [WeightedFault] {
        let asked = try command.weightedFaults()
        let usable = asked.filter { fault in
            if fault.kind.needsProcesses || fault.kind.needsProxy { return cluster.isManaged }
            if fault.kind.needsSignals { return (0..<cluster.count).allSatisfy { cluster.canSignal($0) } }
            return true
        }
        let dropped = Set(asked.map(\.kind.rawValue)).subtracting(usable.map(\.kind.rawValue))
        if !dropped.isEmpty {
            note("keel-chaos: not possible on this cluster, skipped: \(dropped.sorted().joined(separator: ", "))")
        }
        return usable
    }

    /// The final linearizable read of every key of the run, recorded as an operation; tried until it succeeds.
    private func readEverything(
        settings: WorkloadSettings, history: HistoryLog, clock: RunClock
    ) async throws -> HistoryRecord {
        let operation = HistoryOperation.range(start: settings.prefix, end: settings.prefixEnd, serializable: false)
        var last: HistoryRecord?
        for _ in 0..<20 {
            let member = await cluster.leader() ?? 0
            let invoked = clock.nanos
            let outcome = await OperationExecutor.execute(operation, on: cluster.clients[member])
            let record = HistoryRecord(
                id: history.operationID(), client: settings.clients, endpoint: cluster.slot(member).endpoint,
                invokeNanos: invoked, completeNanos: clock.nanos, operation: operation, outcome: outcome)
            history.append(.operation(record))
            if case .ok = outcome { return record }
            last = record
            try? await Task.sleep(for: .milliseconds(500))
        }
        throw ChaosError("the final read failed 20 times; last: \(String(describing: last?.outcome))")
    }

    /// Every member's HashKV at `revision`; a member that disagrees is a violation.
    private func compareHashKV(at revision: Int64) async -> ([String: String], [String]) {
        var hashes: [String: String] = [:]
        var problems: [String] = []
        for index in 0..<cluster.count {
            let client = cluster.clients[index]
            let name = cluster.name(index)
            let deadline = ContinuousClock.now + .seconds(20)
            var answer: HashKV?
            var lastError = ""
            while answer == nil && ContinuousClock.now < deadline {
                do {
                    answer = try await client.hashKV(revision: revision, of: client.endpoints[0])
                } catch {
                    lastError = "\(error)"
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            if let answer {
                hashes[name] = String(answer.hash, radix: 16)
            } else {
                problems.append("HashKV of \(name) at revision \(revision) unavailable: \(lastError)")
            }
        }
        if Set(hashes.values).count > 1 {
            problems.append("HashKV differs between members at revision \(revision): \(hashes)")
        }
        return (hashes, problems)
    }
}
