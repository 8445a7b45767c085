import Foundation
import StoreClient
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A cluster of real `keel store` processes on 127.0.0.1: free ports, a temporary data directory per member,
/// members started, stopped (SIGTERM), killed (SIGKILL), paused (SIGSTOP), resumed (SIGCONT) and restarted
/// on the same ports and data, each by its PID.
///
/// ``with(members:options:_:)`` kills every process the cluster started and removes its directory when the
/// body returns or throws, so that a failing test leaves nothing running.
final class ProcessCluster: Sendable {
    struct Options: Sendable {
        var heartbeatInterval = 50
        var electionTimeout = 500
        var snapshotCount: Int?
        /// More `keel store` flags, given to every member.
        var extraArguments: [String] = []

        init(snapshotCount: Int? = nil, extraArguments: [String] = []) {
            self.snapshotCount = snapshotCount
            self.extraArguments = extraArguments
        }
    }

    struct Member: Sendable {
        let index: Int
        let name: String
        let clientPort: Int
        let peerPort: Int
        let dataDirectory: URL
        let logFile: URL

        var endpoint: String { "127.0.0.1:\(clientPort)" }
        var clientURL: String { "http://127.0.0.1:\(clientPort)" }
        var peerURL: String { "http://127.0.0.1:\(peerPort)" }
    }

    enum ClusterError: Error, CustomStringConvertible {
        case noLeader(within: Duration, statuses: String)
        case memberNotServing(name: String, log: String)

        var description: String {
            switch self {
            case .noLeader(let limit, let statuses): return "no agreed leader within \(limit): \(statuses)"
            case .memberNotServing(let name, let log): return "\(name) did not start serving; its log ends:\n\(log)"
            }
        }
    }

    let members: [Member]
    let directory: URL
    let options: Options
    let token: String
    private let processes: Mutex<[ChildProcess?]>
    /// Members started later to join the cluster (``startJoining(_:initialCluster:)``), killed by ``cleanUp()``.
    private let joiners: Mutex<[ChildProcess]> = Mutex([])

    var endpoints: [String] { members.map(\.endpoint) }
    var initialCluster: String { members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",") }

    init(count: Int, options: Options = Options()) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keel-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        let ports = try LoopbackPorts.free(2 * count)
        members = (0..<count).map { index in
            let name = "m\(index + 1)"
            return Member(
                index: index, name: name, clientPort: ports[2 * index], peerPort: ports[2 * index + 1],
                dataDirectory: directory.appendingPathComponent("\(name).etcd"),
                logFile: directory.appendingPathComponent("\(name).log"))
        }
        self.options = options
        self.token = "keel-cluster-test-\(UUID().uuidString.prefix(8))"
        processes = Mutex(Array(repeating: nil, count: count))
    }

    /// Runs `body` with a started cluster of `count` members; kills every member and removes the data after.
    /// When `body` throws, each member's last log lines are printed first.
    static func with<Result: Sendable>(
        members count: Int = 3, options: Options = Options(), _ body: (ProcessCluster) async throws -> Result
    ) async throws -> Result {
        let cluster = try ProcessCluster(count: count, options: options)
        defer { cluster.cleanUp() }
        do {
            for index in 0..<count { try cluster.start(index) }
            return try await body(cluster)
        } catch {
            for member in cluster.members {
                print("--- \(member.name) (\(member.endpoint)) log tail ---\n\(cluster.logTail(member.index))")
            }
            throw error
        }
    }

    // MARK: Processes

    /// `keel store` arguments for `member`: one of the initial members by default, or (`state` "existing") a
    /// member joining a running cluster whose members `initialCluster` names.
    func arguments(for member: Member, initialCluster: String? = nil, state: String = "new") -> [String] {
        var arguments = [
            "store",
            "--name", member.name,
            "--data-dir", member.dataDirectory.path,
            "--listen-client-urls", member.clientURL,
            "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL,
            "--initial-advertise-peer-urls", member.peerURL,
            "--listen-metrics-urls", "",
            "--initial-cluster", initialCluster ?? self.initialCluster,
            "--initial-cluster-token", token,
            "--initial-cluster-state", state,
            "--heartbeat-interval", String(options.heartbeatInterval),
            "--election-timeout", String(options.electionTimeout),
            "--log-level", "info",
        ]
        if let snapshotCount = options.snapshotCount { arguments += ["--snapshot-count", String(snapshotCount)] }
        return arguments + options.extraArguments
    }

    /// Starts member `index` (again, on the same ports and data, if it ran before).
    func start(_ index: Int) throws {
        let member = members[index]
        let process = try ChildProcess.start(KeelBinary.path, arguments(for: member), outputFile: member.logFile)
        let previous = processes.withLock { processes in
            defer { processes[index] = process }
            return processes[index]
        }
        previous?.killNow()
    }

    func pid(_ index: Int) -> Int32? { processes.withLock { $0[index]?.pid } }

    func isRunning(_ index: Int) -> Bool { processes.withLock { $0[index] }?.isRunning ?? false }

    /// SIGTERM; SIGKILL after 10 s. Returns once the member has ended.
    func stop(_ index: Int) async {
        await processes.withLock { $0[index] }?.stop()
    }

    /// SIGKILL; returns once the member has ended.
    func kill(_ index: Int) async {
        await processes.withLock { $0[index] }?.kill()
    }

    func pause(_ index: Int) {
        processes.withLock { $0[index] }?.send(SIGSTOP)
    }

    func resume(_ index: Int) {
        processes.withLock { $0[index] }?.send(SIGCONT)
    }

    /// Stops member `index` (SIGTERM) if it runs, and starts it again on the same ports and data.
    func restart(_ index: Int) async throws {
        await stop(index)
        try start(index)
    }

    /// A member outside the initial cluster, on free ports, with its data and log in this cluster's directory;
    /// its `index` follows the initial members' but is no index into ``members``.
    func spareMember(name: String) throws -> Member {
        let ports = try LoopbackPorts.free(2)
        let index = members.count + joiners.withLock { $0.count }
        return Member(
            index: index, name: name, clientPort: ports[0], peerPort: ports[1],
            dataDirectory: directory.appendingPathComponent("\(name).etcd"),
            logFile: directory.appendingPathComponent("\(name).log"))
    }

    /// Starts `member` (from ``spareMember(name:)``, added beforehand with `member add`) as a new member of the
    /// running cluster: `--initial-cluster-state existing`, with `initialCluster` naming the current members
    /// and it. ``cleanUp()`` kills it with the others.
    func startJoining(_ member: Member, initialCluster: String) throws -> ChildProcess {
        let process = try ChildProcess.start(
            KeelBinary.path, arguments(for: member, initialCluster: initialCluster, state: "existing"),
            outputFile: member.logFile)
        joiners.withLock { $0.append(process) }
        return process
    }

    /// Kills every member this cluster started and removes the data. Safe to call more than once.
    func cleanUp() {
        let all = processes.withLock { processes in
            defer { processes = processes.map { _ in nil } }
            return processes.compactMap { $0 }
        } + joiners.withLock { joiners in
            defer { joiners = [] }
            return joiners
        }
        for process in all {
            process.send(SIGCONT)
            process.killNow()
        }
        if ProcessInfo.processInfo.environment["KEEL_KEEP_CLUSTER_DATA"] == nil {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    /// Everything member `index` has logged, across restarts.
    func log(_ index: Int) -> String {
        (try? String(contentsOf: members[index].logFile, encoding: .utf8)) ?? ""
    }

    func logTail(_ index: Int, lines: Int = 30) -> String {
        log(index).split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    // MARK: Clients

    /// Runs `body` with a client of the members `indices` (every member when `nil`).
    func withClient<Result: Sendable>(
        _ indices: [Int]? = nil, _ body: (StoreClient) async throws -> Result
    ) async throws -> Result {
        let endpoints = (indices ?? Array(members.indices)).map { members[$0].endpoint }
        return try await withClusterClient(endpoints: endpoints, body)
    }

    // MARK: Leadership and state

    /// Each member's own status (Maintenance.Status), `nil` for a member that did not answer.
    func statuses() async -> [EndpointStatus?] {
        (try? await withClient { client in
            await client.status().map { try? $0.result.get() }
        }) ?? Array(repeating: nil, count: members.count)
    }

    /// The member that says it leads; when several do (a deposed leader that has not heard of the new
    /// term yet), the one with the highest term. `nil` when none answers as leader.
    func leaderIndex() async -> Int? {
        let statuses = await statuses()
        return statuses.indices
            .filter { statuses[$0]?.isLeader == true }
            .max { (statuses[$0]?.raftTerm ?? 0) < (statuses[$1]?.raftTerm ?? 0) }
    }

    /// Waits until one of `among` (every member when `nil`) leads and every member of `among` answers and
    /// names it as leader; returns its index.
    @discardableResult
    func waitForLeader(among: [Int]? = nil, timeout: Duration = .seconds(20)) async throws -> Int {
        let group = among ?? Array(members.indices)
        let deadline = ContinuousClock.now + timeout
        var last: [EndpointStatus?] = []
        while ContinuousClock.now < deadline {
            last = await statuses()
            let answers = group.compactMap { last[$0] }
            if answers.count == group.count,
                let leader = group.first(where: { last[$0]?.isLeader == true }),
                let leaderID = last[leader]?.header.memberID,
                answers.allSatisfy({ $0.leader == leaderID })
            {
                return leader
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let summary = members.indices.map { index in
            guard let status = last.indices.contains(index) ? last[index] : nil else {
                return "\(members[index].name): no answer"
            }
            return "\(members[index].name): id \(String(status.header.memberID, radix: 16)) "
                + "leader \(String(status.leader, radix: 16)) term \(status.raftTerm)"
        }
        throw ClusterError.noLeader(within: timeout, statuses: summary.joined(separator: "; "))
    }

    /// Waits until every member is listed with its client URLs, which a member publishes through the log a
    /// moment after it starts (as in etcd); until then `--cluster` commands of etcdctl do not reach it.
    @discardableResult
    func waitForPublishedMembers(timeout: Duration = .seconds(10)) async throws -> [ClusterMember] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let list = try? await withClient { client in try await client.memberList(linearizable: true) }
            let published = list?.members.filter { !$0.clientURLs.isEmpty } ?? []
            if published.count == members.count || ContinuousClock.now >= deadline { return list?.members ?? [] }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until member `index` answers a status request.
    func waitUntilServing(_ index: Int, timeout: Duration = .seconds(20)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if LoopbackPorts.isAccepting(members[index].clientPort) {
                let status = try? await withClient([index]) { client in
                    try await client.status(of: client.endpoints[0])
                }
                if status != nil { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ClusterError.memberNotServing(name: members[index].name, log: logTail(index))
    }

    /// Member `index`'s hash of the key space at `revision`; retried until the member has applied that
    /// revision or `timeout` passes.
    func hashKV(revision: Int64, of index: Int, timeout: Duration = .seconds(20)) async throws -> HashKV {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                return try await withClient([index]) { client in
                    try await client.hashKV(revision: revision, of: client.endpoints[0])
                }
            } catch {
                if ContinuousClock.now >= deadline { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
