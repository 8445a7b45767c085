import ChaosCheck
import EtcdAPI
import Foundation
import Logging
import NIOCore
import StoreClient
import Synchronization

/// Injects one fault at a time, on a schedule: wait the fault interval, pick a fault (weighted, from the
/// run's seed), inject it, hold it, heal it, wait until the cluster is healthy again, record it.
///
/// Faults that hold for a while (pause, partition, delay, drop) sometimes run a compaction and a
/// defragmentation meanwhile, so that both happen while the cluster is disturbed.
final class Nemesis: Sendable {
    struct Settings: Sendable {
        var faults: [WeightedFault]
        var interval: Duration
        var restartDelay: Duration
        /// How long a pause, partition, delay or drop lasts.
        var hold: Duration
        var seed: UInt64
    }

    let settings: Settings
    private let cluster: ChaosCluster
    private let history: HistoryLog
    private let clock: RunClock
    private let watchers: [Watcher]
    private let group: any EventLoopGroup
    private let logger: Logger
    private let counts = Mutex<[String: Int]>([:])

    init(
        settings: Settings, cluster: ChaosCluster, history: HistoryLog, clock: RunClock, watchers: [Watcher],
        group: any EventLoopGroup, logger: Logger
    ) {
        self.settings = settings
        self.cluster = cluster
        self.history = history
        self.clock = clock
        self.watchers = watchers
        self.group = group
        self.logger = logger
    }

    /// Faults injected so far, by kind.
    var injected: [String: Int] { counts.withLock { $0 } }

    func run(until stop: @escaping @Sendable () -> Bool) async {
        var random = SeededRandom.derived(from: settings.seed, stream: 0xFA17)
        let total = settings.faults.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return }
        while !stop() && !Task.isCancelled {
            try? await Task.sleep(for: settings.interval)
            if stop() || Task.isCancelled { return }
            var roll = Int.random(in: 0..<total, using: &random)
            var chosen = settings.faults[0].kind
            for fault in settings.faults {
                if roll < fault.weight {
                    chosen = fault.kind
                    break
                }
                roll -= fault.weight
            }
            await inject(chosen, random: &random)
            if await cluster.waitHealthy(timeout: .seconds(30)) == nil {
                logger.warning("cluster not healthy 30 s after a fault", metadata: ["fault": "\(chosen.rawValue)"])
                try? cluster.restartDead()
                _ = await cluster.waitHealthy(timeout: .seconds(30))
            }
        }
    }

    private func record(_ kind: String, _ members: [String], from start: UInt64, detail: String = "") {
        history.append(
            .fault(FaultRecord(kind: kind, members: members, startNanos: start, endNanos: clock.nanos, detail: detail)))
        counts.withLock { $0[kind, default: 0] += 1 }
        say("fault \(kind) \(members.joined(separator: ",")) \(detail)")
    }

    func inject(_ kind: FaultKind, random: inout SeededRandom) async {
        switch kind {
        case .killLeader:
            guard let leader = await cluster.leader() else { return }
            await kill(leader, kind: kind)
        case .killMember:
            await kill(Int.random(in: 0..<cluster.count, using: &random), kind: kind)
        case .pauseLeader:
            guard let leader = await cluster.leader(), cluster.canSignal(leader) else { return }
            let start = clock.nanos
            cluster.pause(leader)
            await hold(alsoCompact: Bool.random(using: &random), random: &random)
            cluster.resume(leader)
            record(kind.rawValue, [cluster.name(leader)], from: start, detail: "SIGSTOP for \(settings.hold)")
        case .partitionLeader:
            guard let leader = await cluster.leader(), let id = cluster.memberID(leader) else { return }
            let start = clock.nanos
            cluster.faults.isolate([id])
            await hold(alsoCompact: Bool.random(using: &random), random: &random)
            cluster.faults.heal()
            record(kind.rawValue, [cluster.name(leader)], from: start, detail: "isolated for \(settings.hold)")
        case .delayPeers:
            let delay = Duration.milliseconds(Int.random(in: 20...150, using: &random))
            let start = clock.nanos
            cluster.faults.setDelay(delay)
            await hold(alsoCompact: Bool.random(using: &random), random: &random)
            cluster.faults.heal()
            record(kind.rawValue, cluster.slots.map(\.name), from: start, detail: "delay \(delay)")
        case .dropPeers:
            let share = Double(Int.random(in: 10...40, using: &random)) / 100
            let start = clock.nanos
            cluster.faults.setDropProbability(share)
            await hold(alsoCompact: Bool.random(using: &random), random: &random)
            cluster.faults.heal()
            record(kind.rawValue, cluster.slots.map(\.name), from: start, detail: "drop \(Int(share * 100))% of Raft frames")
        case .restartMember:
            let member = Int.random(in: 0..<cluster.count, using: &random)
            let start = clock.nanos
            await cluster.stop(member)
            do {
                try cluster.start(member)
                record(kind.rawValue, [cluster.name(member)], from: start, detail: "SIGTERM and start")
            } catch {
                logger.error("restart failed", metadata: ["member": "\(cluster.name(member))", "error": "\(error)"])
            }
        case .replaceMember:
            await replace(random: &random)
        case .compact:
            await compact()
        case .defrag:
            await defrag(Int.random(in: 0..<cluster.count, using: &random))
        }
    }

    private func kill(_ member: Int, kind: FaultKind) async {
        let name = cluster.name(member)
        let start = clock.nanos
        await cluster.kill(member)
        try? await Task.sleep(for: settings.restartDelay)
        do {
            try cluster.start(member)
        } catch {
            logger.error("restart after kill failed", metadata: ["member": "\(name)", "error": "\(error)"])
        }
        record(kind.rawValue, [name], from: start, detail: "SIGKILL, restarted after \(settings.restartDelay)")
    }

    /// Waits out a fault's hold time, running a compaction and a defragmentation in the middle of it when asked.
    private func hold(alsoCompact: Bool, random: inout SeededRandom) async {
        guard alsoCompact else {
            try? await Task.sleep(for: settings.hold)
            return
        }
        let member = Int.random(in: 0..<cluster.count, using: &random)
        try? await Task.sleep(for: settings.hold / 3)
        await compact()
        await defrag(member)
        try? await Task.sleep(for: settings.hold / 3)
    }

    /// Compacts below every watcher's last received revision, so that no watcher loses an event (below the
    /// current revision when there are no watchers).
    func compact() async {
        let lowest: Int64
        if let received = watchers.map(\.received).min() {
            lowest = received
        } else {
            guard let current = try? await cluster.admin.range(.all, options: RangeOptions(countOnly: true)) else {
                return
            }
            lowest = current.header.revision
        }
        guard lowest > 2 else { return }
        let revision = lowest - 1
        let start = clock.nanos
        do {
            try await cluster.admin.compact(revision)
            record(FaultKind.compact.rawValue, [], from: start, detail: "revision \(revision)")
        } catch {
            record(FaultKind.compact.rawValue, [], from: start, detail: "revision \(revision) failed: \(error)")
        }
    }

    func defrag(_ member: Int) async {
        guard cluster.isUp(member) else { return }
        let start = clock.nanos
        do {
            _ = try await cluster.clients[member].withConnection(.safe) { connection, options in
                var longer = options
                longer.timeout = .seconds(30)
                _ = try await Etcdserverpb_Maintenance.Client(wrapping: connection).defragment(
                    Etcdserverpb_DefragmentRequest(), options: longer)
                return true
            }
            record(FaultKind.defrag.rawValue, [cluster.name(member)], from: start)
        } catch {
            record(FaultKind.defrag.rawValue, [cluster.name(member)], from: start, detail: "failed: \(error)")
        }
    }

    /// Removes a follower, wipes its data, adds it back as a learner under a new peer URL (hence a new member
    /// id), starts it joining the running cluster, and promotes it once the leader says it has caught up.
    private func replace(random: inout SeededRandom) async {
        guard cluster.isManaged, let leader = await cluster.waitHealthy(timeout: .seconds(10)) else { return }
        let followers = (0..<cluster.count).filter { $0 != leader }
        let member = followers[Int.random(in: 0..<followers.count, using: &random)]
        guard let oldID = cluster.memberID(member) else { return }
        let oldName = cluster.name(member)
        let start = clock.nanos
        do {
            var remove = Etcdserverpb_MemberRemoveRequest()
            remove.id = oldID
            _ = try await cluster.admin.withConnection(.unsafe) { [remove] connection, options in
                _ = try await Etcdserverpb_Cluster.Client(wrapping: connection).memberRemove(remove, options: options)
                return true
            }
            await cluster.kill(member)
            cluster.retire(member)
            if let directory = cluster.slot(member).dataDirectory {
                try? FileManager.default.removeItem(at: directory)
            }
            guard let proxyPort = try LoopbackPorts.free(1).first else { return }
            let slot = cluster.renew(member, proxyPort: proxyPort)
            try await cluster.addProxy(listenPort: proxyPort, targetPort: slot.peerPort, group: group)
            var add = Etcdserverpb_MemberAddRequest()
            add.peerUrls = [slot.advertisedPeerURL]
            add.isLearner = true
            let added = try await cluster.admin.withConnection(.unsafe) { [add] connection, options in
                try await Etcdserverpb_Cluster.Client(wrapping: connection).memberAdd(add, options: options)
            }
            let newID = added.member.id
            try cluster.start(member)
            let promoted = await promote(newID)
            record(
                FaultKind.replaceMember.rawValue, [oldName, slot.name], from: start,
                detail: "removed \(String(oldID, radix: 16)), added learner \(String(newID, radix: 16))"
                    + (promoted ? ", promoted" : ", NOT promoted"))
        } catch {
            record(FaultKind.replaceMember.rawValue, [oldName], from: start, detail: "failed: \(error)")
        }
    }

    /// Asks for the promotion until the leader accepts it (it refuses while the learner lags), for 60 s.
    private func promote(_ id: UInt64) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        var request = Etcdserverpb_MemberPromoteRequest()
        request.id = id
        let message = request
        while ContinuousClock.now < deadline {
            let leader = await cluster.leader()
            let client = leader.map { cluster.clients[$0] } ?? cluster.admin
            let done = try? await client.withConnection(.unsafe) { connection, options in
                _ = try await Etcdserverpb_Cluster.Client(wrapping: connection).memberPromote(message, options: options)
                return true
            }
            if done == true { return true }
            try? await Task.sleep(for: .milliseconds(300))
        }
        return false
    }
}
