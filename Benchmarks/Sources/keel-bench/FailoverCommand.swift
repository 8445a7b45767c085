import ArgumentParser
import Foundation

/// `keel-bench failover`: how long a three-member cluster refuses writes after its leader is SIGKILLed.
///
/// It starts the cluster as real processes on 127.0.0.1 and repeats: with puts running to every member,
/// SIGKILL the leader, time the window from the kill to the first put issued after it being acknowledged,
/// restart the killed member on the same data and ports, and wait until it has caught up under an agreed
/// leader. Every wait is bounded by `--round-timeout`; every process is stopped by pid at the end, on error,
/// and on SIGINT or SIGTERM.
struct FailoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Measure how long writes fail after the leader of a three-member cluster is SIGKILLed.",
        discussion: """
            Both servers get the same flags (etcd's names), ports, disk and fsync setting. The window of a kill \
            runs from the SIGKILL to the acknowledgement of the first put issued after it, to any member; the \
            issue's bound is 2 × election timeout + 200 ms at the 99th percentile (nearest rank: with fewer \
            than 100 kills, the largest window).
            """
    )

    @Option(help: "The server: keel (runs `<binary> store`) or etcd.")
    var server: ServerKind

    @Option(help: "The server executable.")
    var binary: String

    @Option(help: "Number of leader kills.")
    var kills = 20

    @Option(help: "Heartbeat interval (ms), passed to every member.")
    var heartbeatInterval = 100

    @Option(help: "Election timeout (ms), passed to every member.")
    var electionTimeout = 1000

    @Option(help: "First of the 9 consecutive ports on 127.0.0.1 the members listen on.")
    var basePort = 23790

    @Option(help: "Directory for the members' data and logs; must not hold members already.")
    var dataDir: String

    @Option(help: "Deadline (ms) of each put.")
    var putTimeout = 100

    @Option(help: "Puts in flight to each member at once, their starts spread over one put deadline.")
    var writersPerMember = 2

    @Option(help: "Seconds each wait (for a leader, for writes, for a member to catch up) may take.")
    var roundTimeout = 60

    @Flag(help: "Print the result as one line of JSON (progress goes to standard error).")
    var json = false

    @Flag(help: "Exit with a failure when the p99 window exceeds 2 × election timeout + 200 ms.")
    var check = false

    func validate() throws {
        guard kills >= 1 else { throw ValidationError("--kills must be at least 1") }
        guard heartbeatInterval >= 1, electionTimeout >= 5 * heartbeatInterval else {
            throw ValidationError("--election-timeout must be at least 5 × --heartbeat-interval")
        }
        guard (1024...(65535 - 9)).contains(basePort) else { throw ValidationError("--base-port out of range") }
        guard putTimeout >= 1, writersPerMember >= 1, roundTimeout >= 1 else {
            throw ValidationError("--put-timeout, --writers-per-member and --round-timeout must be positive")
        }
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let layout = ClusterLayout(
            directory: dataDir, basePort: basePort, heartbeatInterval: heartbeatInterval,
            electionTimeout: electionTimeout)
        let cluster = LocalCluster(kind: server, executable: binary, layout: layout)
        let result: FailoverResult
        do {
            result = try await measure(cluster)
        } catch {
            await cluster.stopAll()
            throw error
        }
        await cluster.stopAll()
        if json {
            say(try result.json())
        } else {
            for line in result.summaryLines { say(line) }
        }
        if check && !result.p99MeetsBound { throw ExitCode(2) }
    }

    private func measure(_ cluster: LocalCluster) async throws -> FailoverResult {
        let layout = cluster.layout
        try cluster.startAll()
        progress("\(server) cluster starting on 127.0.0.1:\(basePort)-\(basePort + 8), data in \(dataDir)")
        return try await withMemberClients(layout.members.map(\.endpoint), reconnectEvery: .milliseconds(50)) {
            clients in
            let first = try await waitForLeader(cluster, clients)
            let memberIDs = first.members.map { $0?.memberID ?? 0 }
            let version = first.members.compactMap { $0?.version }.first ?? "unknown"
            var records: [FailoverResult.Kill] = []
            for number in 1...kills {
                let status = try await waitForLeader(cluster, clients)
                guard let leader = status.agreedLeader, let index = memberIDs.firstIndex(of: leader) else {
                    throw BenchError("the leader is not one of the members started")
                }
                let (window, acknowledgedBy) = try await killLeader(index, cluster, clients)
                let rejoin = try await restart(index, cluster, clients)
                let record = FailoverResult.Kill(
                    number: number, killedMember: layout.members[index].name, windowMilliseconds: window.milliseconds,
                    acknowledgedBy: acknowledgedBy.description, rejoinMilliseconds: rejoin.milliseconds)
                records.append(record)
                progress(
                    "\(server) kill \(number)/\(kills): leader \(record.killedMember) killed; writes accepted again "
                        + "after \(window.millisecondsText) ms (by \(acknowledgedBy)); rejoined in "
                        + "\(rejoin.millisecondsText) ms")
            }
            return FailoverResult(
                server: server, serverVersion: version, binary: binary, heartbeatInterval: heartbeatInterval,
                electionTimeout: electionTimeout, putTimeout: putTimeout, kills: records)
        }
    }

    /// Runs puts to every member, kills member `index` once some have been acknowledged, and returns the
    /// window until the first put issued after the kill was acknowledged, and the member that acknowledged it.
    private func killLeader(
        _ index: Int, _ cluster: LocalCluster, _ clients: [MemberClient]
    ) async throws -> (Duration, Endpoint) {
        let writer = FailoverWriter(putTimeout: .milliseconds(putTimeout))
        let deadline = ContinuousClock.now + .seconds(roundTimeout)
        let lanes = writersPerMember
        let stagger = Duration.milliseconds(putTimeout) / lanes
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients {
                for lane in 0..<lanes {
                    group.addTask {
                        try? await Task.sleep(for: stagger * lane)
                        await writer.run(client, until: deadline)
                    }
                }
            }
            defer { writer.stop() }
            try await waitUntil(deadline, cluster, "no put acknowledged before the kill") {
                writer.acknowledged >= lanes
            }
            guard let killed = cluster.kill(index) else { throw BenchError("the leader was not running") }
            writer.mark(killed)
            try await waitUntil(deadline, cluster, "no put acknowledged after the leader was killed") {
                writer.firstAfterMark != nil
            }
            let acknowledgement = writer.firstAfterMark!
            return (acknowledgement.instant - killed, acknowledgement.member)
        }
    }

    /// Restarts member `index` and waits until every member names the same leader and it has applied what
    /// the others have (less a couple of entries). Returns how long that took.
    private func restart(_ index: Int, _ cluster: LocalCluster, _ clients: [MemberClient]) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try cluster.start(index)
        let statusTimeout = Duration.milliseconds(max(200, electionTimeout / 2))
        try await waitUntilAsync(start + .seconds(roundTimeout), cluster, "member did not catch up after restart") {
            let status = await ClusterStatus.poll(clients, timeout: statusTimeout)
            return status.agreedLeader != nil && status.hasCaughtUp(index, margin: Self.catchUpMargin)
        }
        return clock.now - start
    }

    /// Waits until every member answers Status and all name the same leader.
    private func waitForLeader(_ cluster: LocalCluster, _ clients: [MemberClient]) async throws -> ClusterStatus {
        let statusTimeout = Duration.milliseconds(max(200, electionTimeout / 2))
        var latest = ClusterStatus(members: [])
        try await waitUntilAsync(ContinuousClock.now + .seconds(roundTimeout), cluster, "no agreed leader") {
            latest = await ClusterStatus.poll(clients, timeout: statusTimeout)
            return latest.agreedLeader != nil
        }
        return latest
    }

    /// Entries a restarted member may still lack when it counts as caught up: writes have stopped, so only an
    /// entry the leader appends by itself (on a new term) can be in flight.
    static let catchUpMargin: UInt64 = 2

    /// Polls `condition` every 2 ms until it holds; fails at `deadline` or when a member exits by itself.
    private func waitUntil(
        _ deadline: ContinuousClock.Instant, _ cluster: LocalCluster, _ failure: String, _ condition: () -> Bool
    ) async throws {
        try await waitUntilAsync(deadline, cluster, failure, interval: .milliseconds(2)) { condition() }
    }

    private func waitUntilAsync(
        _ deadline: ContinuousClock.Instant, _ cluster: LocalCluster, _ failure: String,
        interval: Duration = .milliseconds(50), _ condition: () async -> Bool
    ) async throws {
        while ContinuousClock.now < deadline {
            if await condition() { return }
            if let crashed = cluster.exitedMembers.first {
                let member = cluster.layout.members[crashed]
                throw BenchError("\(server) member \(member.name) exited unexpectedly (see \(member.logPath))")
            }
            try await Task.sleep(for: interval)
        }
        throw BenchError("\(server): \(failure) within \(roundTimeout) s (logs in \(dataDir))")
    }

    private func progress(_ line: String) {
        if json { note(line) } else { say(line) }
    }
}
