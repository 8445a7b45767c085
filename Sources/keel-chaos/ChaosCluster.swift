import EtcdAPI
import Foundation
import Logging
import NIOCore
import StoreClient
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The cluster under test: the members' processes (when the runner started them), the peer proxies in front
/// of them, and one client per member.
///
/// Every process it starts is recorded with its PID and is only ever signalled by that PID; ``stopAll()``
/// (or ``killAllNow()`` from a signal handler) ends each of them. A cluster it attached to (`--endpoints`)
/// is only signalled when its PIDs were given, and then only with SIGSTOP and SIGCONT.
final class ChaosCluster: Sendable {
    /// How the runner starts members; nil for a cluster it attached to.
    struct Launch: Sendable {
        var keelPath: String
        var heartbeatInterval: Int
        var electionTimeout: Int
        var snapshotCount: Int
        var memberFlags: [String]
        var directory: URL
        var token: String
    }

    private struct State {
        var slots: [MemberSlot]
        var processes: [MemberProcess?]
        /// Processes of replaced members that may still run, stopped at the end with the others.
        var retired: [MemberProcess] = []
        /// PIDs of members the runner did not start (`--pids`), signalled with SIGSTOP/SIGCONT only.
        var attachedPIDs: [Int32?]
        var paused: Set<Int> = []
        var memberIDs: [UInt64?]
        var proxies: [PeerProxy] = []
    }

    let launch: Launch?
    let faults = LinkFaults()
    /// One client per slot, bound to that member alone: an operation's endpoint is the member it went to.
    let clients: [StoreClient]
    /// Clients with short timeouts, for status polls.
    let probes: [StoreClient]
    /// A client of every member, for membership changes and maintenance.
    let admin: StoreClient
    let logger: Logger
    private let state: Mutex<State>

    var isManaged: Bool { launch != nil }
    var slots: [MemberSlot] { state.withLock { $0.slots } }
    var count: Int { clients.count }

    init(slots: [MemberSlot], launch: Launch?, attachedPIDs: [Int32?], operationTimeout: Duration, logger: Logger)
        throws
    {
        self.launch = launch
        self.logger = logger
        var memberConfiguration = StoreClient.Configuration()
        memberConfiguration.dialTimeout = .seconds(1)
        memberConfiguration.requestTimeout = operationTimeout
        memberConfiguration.retry = RetryPolicy(maxAttempts: 1)
        memberConfiguration.reconnectBackoff = (.milliseconds(50), .milliseconds(500))
        memberConfiguration.keepalive = nil
        var probeConfiguration = memberConfiguration
        probeConfiguration.dialTimeout = .milliseconds(300)
        probeConfiguration.requestTimeout = .milliseconds(800)
        var adminConfiguration = memberConfiguration
        adminConfiguration.requestTimeout = .seconds(5)
        adminConfiguration.retry = RetryPolicy(maxAttempts: 2 * slots.count)
        let quiet = Logger(label: "keel.chaos.client", factory: { _ in SwiftLogNoOpLogHandler() })
        do {
            clients = try slots.map {
                try StoreClient(endpoints: [$0.endpoint], configuration: memberConfiguration, logger: quiet)
            }
            probes = try slots.map {
                try StoreClient(endpoints: [$0.endpoint], configuration: probeConfiguration, logger: quiet)
            }
            admin = try StoreClient(
                endpoints: slots.map(\.endpoint), configuration: adminConfiguration, logger: quiet)
        } catch {
            throw ChaosError("bad endpoint: \(error)")
        }
        state = Mutex(
            State(
                slots: slots, processes: Array(repeating: nil, count: slots.count), attachedPIDs: attachedPIDs,
                memberIDs: Array(repeating: nil, count: slots.count)))
    }

    /// Runs every client's connections until ``closeClients()``.
    func runClients() async {
        await withDiscardingTaskGroup { group in
            for client in clients + probes + [admin] {
                group.addTask { try? await client.run() }
            }
        }
    }

    func closeClients() {
        for client in clients + probes + [admin] { client.close() }
    }

    func slot(_ index: Int) -> MemberSlot { state.withLock { $0.slots[index] } }

    func name(_ index: Int) -> String { slot(index).name }

    func memberID(_ index: Int) -> UInt64? { state.withLock { $0.memberIDs[index] } }

    func index(ofMemberID id: UInt64) -> Int? { state.withLock { $0.memberIDs.firstIndex(of: id) } }

    // MARK: Processes

    /// Whether member `index` can be signalled at all (started here, or its PID given).
    func canSignal(_ index: Int) -> Bool {
        state.withLock { $0.processes[index] != nil || $0.attachedPIDs[index] != nil }
    }

    /// Whether member `index` runs and is not paused, as far as the runner knows.
    func isUp(_ index: Int) -> Bool {
        state.withLock { state in
            if state.paused.contains(index) { return false }
            if let process = state.processes[index] { return process.isRunning }
            return launch == nil
        }
    }

    func isRunning(_ index: Int) -> Bool {
        state.withLock { $0.processes[index]?.isRunning ?? (launch == nil) }
    }

    func pid(_ index: Int) -> Int32? {
        state.withLock { $0.processes[index]?.pid ?? $0.attachedPIDs[index] }
    }

    /// Starts the peer proxies, one per member, in front of the members' real peer ports.
    func startProxies(group: any EventLoopGroup) async throws {
        for slot in slots {
            guard let proxyPort = slot.proxyPort else { continue }
            let proxy = try await PeerProxy.start(
                listenPort: proxyPort, targetPort: slot.peerPort, faults: faults, group: group, logger: logger)
            state.withLock { $0.proxies.append(proxy) }
        }
    }

    func addProxy(listenPort: Int, targetPort: Int, group: any EventLoopGroup) async throws {
        let proxy = try await PeerProxy.start(
            listenPort: listenPort, targetPort: targetPort, faults: faults, group: group, logger: logger)
        state.withLock { $0.proxies.append(proxy) }
    }

    func arguments(for slot: MemberSlot, launch: Launch) -> [String] {
        let initialCluster = slots.map { "\($0.name)=\($0.advertisedPeerURL)" }.joined(separator: ",")
        return [
            "store",
            "--name", slot.name,
            "--data-dir", slot.dataDirectory?.path ?? "\(slot.name).etcd",
            "--listen-client-urls", slot.clientURL,
            "--advertise-client-urls", slot.clientURL,
            "--listen-peer-urls", slot.listenPeerURL,
            "--initial-advertise-peer-urls", slot.advertisedPeerURL,
            "--listen-metrics-urls", "",
            "--initial-cluster", initialCluster,
            "--initial-cluster-token", launch.token,
            "--initial-cluster-state", slot.initialClusterState,
            "--heartbeat-interval", String(launch.heartbeatInterval),
            "--election-timeout", String(launch.electionTimeout),
            "--snapshot-count", String(launch.snapshotCount),
            "--exit-with-parent",
            "--log-level", "info",
        ] + launch.memberFlags
    }

    /// Starts member `index` (again, on its ports and data, if it ran before).
    func start(_ index: Int) throws {
        guard let launch else { throw ChaosError("cannot start \(name(index)): the runner did not start the cluster") }
        let slot = slot(index)
        let process = try MemberProcess.start(
            launch.keelPath, arguments(for: slot, launch: launch),
            log: slot.logFile ?? launch.directory.appendingPathComponent("\(slot.name).log"))
        let previous = state.withLock { state in
            defer {
                state.processes[index] = process
                state.paused.remove(index)
            }
            return state.processes[index]
        }
        previous?.killNow()
        logger.debug("member started", metadata: ["member": "\(slot.name)", "pid": "\(process.pid)"])
    }

    func startAll() throws {
        for index in 0..<count { try start(index) }
    }

    /// SIGKILL; returns once the member has ended.
    func kill(_ index: Int) async {
        let process = state.withLock { state in
            state.paused.remove(index)
            return state.processes[index]
        }
        await process?.kill()
    }

    /// SIGTERM (SIGKILL after a grace period); returns once the member has ended.
    func stop(_ index: Int) async {
        let process = state.withLock { state in
            state.paused.remove(index)
            return state.processes[index]
        }
        await process?.stop()
    }

    func pause(_ index: Int) {
        guard let pid = pid(index) else { return }
        _ = state.withLock { $0.paused.insert(index) }
        signal(pid, SIGSTOP, index: index)
    }

    func resume(_ index: Int) {
        guard let pid = pid(index) else { return }
        signal(pid, SIGCONT, index: index)
        _ = state.withLock { $0.paused.remove(index) }
    }

    private func signal(_ pid: Int32, _ number: Int32, index: Int) {
        let process = state.withLock { $0.processes[index] }
        if let process {
            process.send(number)
        } else {
            _ = Glibc.kill(pid, number)
        }
    }

    /// Resumes every paused member and starts every member that is not running.
    func restartDead() throws {
        for index in 0..<count where state.withLock({ $0.paused.contains(index) }) { resume(index) }
        guard isManaged else { return }
        for index in 0..<count where !isRunning(index) { try start(index) }
    }

    /// Makes `process` one to stop at the end although its slot has moved on to a new member.
    func retire(_ index: Int) {
        state.withLock { state in
            if let process = state.processes[index] { state.retired.append(process) }
            state.processes[index] = nil
        }
    }

    /// Moves slot `index` to a new member: a new name and advertised peer port, joining an existing cluster.
    func renew(_ index: Int, proxyPort: Int) -> MemberSlot {
        state.withLock { state in
            var slot = state.slots[index]
            slot.generation += 1
            slot.name = "\(slot.name.split(separator: "-").first ?? "m")-\(slot.generation)"
            slot.proxyPort = proxyPort
            slot.initialClusterState = "existing"
            state.slots[index] = slot
            state.memberIDs[index] = nil
            return slot
        }
    }

    /// Stops every process the runner started (SIGCONT, SIGTERM, SIGKILL after a grace period), resumes any
    /// attached member it paused, and closes the proxies.
    func stopAll() async {
        let (processes, paused, proxies) = state.withLock { state in
            defer {
                state.processes = state.processes.map { _ in nil }
                state.retired = []
                state.proxies = []
            }
            return (state.processes.compactMap { $0 } + state.retired, state.paused, state.proxies)
        }
        for index in paused { resume(index) }
        await withDiscardingTaskGroup { group in
            for process in processes { group.addTask { await process.stop(grace: .seconds(3)) } }
        }
        for proxy in proxies { await proxy.stop() }
    }

    /// SIGKILLs every process the runner started, without suspending: for signal handlers.
    func killAllNow() {
        let (processes, attached) = state.withLock { state in
            (state.processes.compactMap { $0 } + state.retired, state.paused.compactMap { state.attachedPIDs[$0] })
        }
        for pid in attached { _ = Glibc.kill(pid, SIGCONT) }
        for process in processes { process.killNow() }
    }

    // MARK: Status

    /// Each member's status, nil for one that did not answer. Member ids are learned from the answers.
    func statuses() async -> [EndpointStatus?] {
        let results = await withTaskGroup(of: (Int, EndpointStatus?).self) { group in
            for index in 0..<count {
                let probe = probes[index]
                group.addTask {
                    (index, try? await probe.status(of: probe.endpoints[0]))
                }
            }
            var results: [EndpointStatus?] = Array(repeating: nil, count: count)
            for await (index, status) in group { results[index] = status }
            return results
        }
        state.withLock { state in
            for (index, status) in results.enumerated() {
                if let status { state.memberIDs[index] = status.header.memberID }
            }
        }
        return results
    }

    /// The member that says it leads with the highest term among those that answer, if any.
    func leader() async -> Int? {
        let statuses = await statuses()
        return statuses.indices
            .filter { statuses[$0]?.isLeader == true }
            .max { (statuses[$0]?.raftTerm ?? 0) < (statuses[$1]?.raftTerm ?? 0) }
    }

    /// Waits until every member the runner keeps up answers and all name the same leader among them.
    /// Returns the leader, or nil when `timeout` passes first.
    func waitHealthy(timeout: Duration) async -> Int? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let statuses = await statuses()
            let expected = (0..<count).filter { isUp($0) }
            let answers = expected.compactMap { statuses[$0] }
            if answers.count == expected.count, let leader = expected.first(where: { statuses[$0]?.isLeader == true }),
                let leaderID = statuses[leader]?.header.memberID,
                answers.allSatisfy({ $0.leader == leaderID })
            {
                return leader
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// The last lines of member `index`'s log.
    func logTail(_ index: Int, lines: Int = 20) -> String {
        guard let file = slot(index).logFile, let text = try? String(contentsOf: file, encoding: .utf8) else {
            return ""
        }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
