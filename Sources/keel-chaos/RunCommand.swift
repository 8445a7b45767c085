import ArgumentParser
import ChaosCheck
import Foundation
import Logging
import NIOPosix

/// `keel-chaos run`: starts (or attaches to) a cluster, runs the workload and the nemesis for a while, heals,
/// reads everything back, checks the history, and writes the artifacts.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a workload against a Keel cluster while injecting faults, then check the history.",
        discussion: """
            Without --endpoints, starts --members `keel store` processes on free 127.0.0.1 ports, with a peer \
            proxy in front of each member, and stops every one of them by PID at the end. With --endpoints, \
            attaches to a running cluster: only compact and defrag are possible, plus pause-leader when --pids \
            names the members' PIDs (in the order of --endpoints). Exits with status 1 on any violation.
            """
    )

    @Option(help: "The keel executable (default: `keel` beside keel-chaos).")
    var keel: String?

    @Option(help: "Members to start.")
    var members = 3

    @Option(help: "Attach to these client endpoints (host:port, comma-separated) instead of starting members.")
    var endpoints: String?

    @Option(help: "With --endpoints: the members' PIDs, comma-separated, in the same order.")
    var pids: String?

    @Option(help: "Seconds of workload and faults.")
    var duration = 90.0

    @Option(help: "Go on past --duration (up to 3 × it) until the nemesis has killed the leader this many times.")
    var minLeaderKills = 0

    @Option(help: "Concurrent clients, each with one operation in flight.")
    var clients = 6

    @Option(help: "Watchers of the key prefix.")
    var watchers = 3

    @Option(help: "Operations per second per client, at most.")
    var rate = 20.0

    @Option(help: "Keys the clients contend on.")
    var keys = 16

    @Option(help: "Faults to inject, comma-separated, each optionally with a weight (kill-leader:3). One of: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var faults = FaultKind.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "Seconds between the end of one fault and the next.")
    var faultInterval = 4.0

    @Option(help: "Milliseconds a killed member stays down.")
    var restartDelay = 1000

    @Option(help: "Milliseconds a pause, partition, delay or drop lasts (default: 3 × election timeout).")
    var hold: Int?

    @Option(help: "Heartbeat interval (ms) of the members started.")
    var heartbeatInterval = 50

    @Option(help: "Election timeout (ms) of the members started.")
    var electionTimeout = 500

    @Option(help: "Snapshot count of the members started.")
    var snapshotCount = 2000

    @Option(help: "Milliseconds before an operation's outcome counts as unknown.")
    var operationTimeout = 3000

    @Option(help: "TTL (s) of the leases the clients grant.")
    var leaseTTL: Int64 = 5

    @Option(help: "Milliseconds without an acknowledged write that count as a window of write unavailability.")
    var unavailabilityThreshold = 1000

    @Option(help: "Seed of the run's random choices (default: random).")
    var seed: UInt64?

    @Option(help: "Directory for the history, summary, plot and member logs (default: chaos-artifacts/<time>).")
    var artifacts: String?

    @Option(help: "The plot script (default: scripts/chaos-plot.py, looked for from here and from the executable).")
    var plotScript: String?

    @Option(help: "The python3 to draw the plot with (default: the first python3 found that has matplotlib).")
    var python: String?

    @Flag(help: "Skip the timeline plot.")
    var noPlot = false

    @Flag(help: "Keep the members' data directories.")
    var keepData = false

    @Option(help: .hidden)
    var memberFlag: [String] = []

    func validate() throws {
        guard members >= 1, clients >= 1, watchers >= 0, keys >= 2, rate > 0, duration > 0 else {
            throw ValidationError("--members, --clients, --keys, --rate and --duration must be positive")
        }
        guard electionTimeout >= 5 * heartbeatInterval else {
            throw ValidationError("--election-timeout must be at least 5 × --heartbeat-interval")
        }
        _ = try weightedFaults()
    }

    func weightedFaults() throws -> [WeightedFault] {
        try faults.split(separator: ",").map { text in
            guard let fault = WeightedFault(argument: text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("unknown fault \(text)")
            }
            return fault
        }
    }

    func run() async throws {
        let runSeed = seed ?? UInt64.random(in: 1...UInt64.max)
        let directory = URL(fileURLWithPath: artifacts ?? "chaos-artifacts/\(Self.timestamp())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "keel.chaos")
        logger.logLevel = .info
        let cluster = try makeCluster(directory: directory, seed: runSeed, logger: logger)
        let signals = SignalCleanup(cluster: cluster)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let clientsTask = Task { await cluster.runClients() }
        say("keel-chaos: seed \(runSeed), artifacts in \(directory.path)")
        let outcome: Result<RunSummary, any Error>
        do {
            let run = ChaosRun(
                command: self, cluster: cluster, directory: directory, seed: runSeed, group: group, logger: logger)
            outcome = .success(try await run.execute())
        } catch {
            outcome = .failure(error)
        }
        await cluster.stopAll()
        cluster.closeClients()
        try? await Task.sleep(for: .milliseconds(500))
        clientsTask.cancel()
        _ = await clientsTask.value
        try? await group.shutdownGracefully()
        signals.cancel()
        if cluster.isManaged && !keepData {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("data"))
        }
        let summary = try outcome.get()
        say(summary.text)
        if !noPlot { plot(directory) }
        if !summary.violations.isEmpty { throw ExitCode(1) }
        if summary.verdict != "pass" { throw ExitCode(2) }
    }

    private func makeCluster(directory: URL, seed: UInt64, logger: Logger) throws -> ChaosCluster {
        let timeout = Duration.milliseconds(operationTimeout)
        if let endpoints {
            let list = endpoints.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let pidList = pids?.split(separator: ",").map { Int32($0.trimmingCharacters(in: .whitespaces)) } ?? []
            guard pidList.isEmpty || pidList.count == list.count, pidList.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--pids must name one PID per endpoint")
            }
            let slots = list.enumerated().map { index, endpoint in
                MemberSlot(
                    index: index, name: endpoint.replacingOccurrences(of: "http://", with: ""), endpoint: endpoint,
                    peerPort: 0)
            }
            let attached = pidList.isEmpty ? Array(repeating: nil, count: list.count) : pidList
            return try ChaosCluster(
                slots: slots, launch: nil, attachedPIDs: attached, operationTimeout: timeout, logger: logger)
        }
        let keelPath = keel ?? Self.besideExecutable("keel")
        guard FileManager.default.isExecutableFile(atPath: keelPath) else {
            throw ValidationError("no keel executable at \(keelPath) (give --keel)")
        }
        let data = directory.appendingPathComponent("data")
        let logs = directory.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let ports = try LoopbackPorts.free(3 * members)
        let slots = (0..<members).map { index in
            MemberSlot(
                index: index, name: "m\(index + 1)", endpoint: "127.0.0.1:\(ports[3 * index])",
                peerPort: ports[3 * index + 1], proxyPort: ports[3 * index + 2],
                dataDirectory: data.appendingPathComponent("m\(index + 1).etcd"),
                logFile: logs.appendingPathComponent("m\(index + 1).log"))
        }
        let launch = ChaosCluster.Launch(
            keelPath: keelPath, heartbeatInterval: heartbeatInterval, electionTimeout: electionTimeout,
            snapshotCount: snapshotCount, memberFlags: memberFlag, directory: directory,
            token: "keel-chaos-\(String(seed, radix: 16))")
        return try ChaosCluster(
            slots: slots, launch: launch, attachedPIDs: Array(repeating: nil, count: members),
            operationTimeout: timeout, logger: logger)
    }

    /// Draws the timeline with the plot script; a missing python3 or matplotlib only costs the picture.
    private func plot(_ directory: URL) {
        guard let script = plotScript ?? Self.findPlotScript() else {
            note("keel-chaos: scripts/chaos-plot.py not found; no timeline.png (give --plot-script)")
            return
        }
        guard let python = python ?? Self.pythonWithMatplotlib() else {
            note("keel-chaos: no python3 with matplotlib (scripts/chaos installs it); no timeline.png")
            return
        }
        do {
            let status = try Self.execute(python, [script, directory.path])
            if status != 0 { note("keel-chaos: the plot script failed (status \(status)); no timeline.png") }
        } catch {
            note("keel-chaos: cannot run \(python): \(error)")
        }
    }

    /// The first python3 on PATH, or the system's, that can import matplotlib.
    static func pythonWithMatplotlib() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { "\($0)/python3" } + ["/usr/bin/python3"]
        return candidates.first { candidate in
            FileManager.default.isExecutableFile(atPath: candidate)
                && (try? execute(candidate, ["-c", "import matplotlib"], quiet: true)) == 0
        }
    }

    /// Runs a program to its end; its exit status.
    static func execute(_ program: String, _ arguments: [String], quiet: Bool = false) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        if quiet {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func besideExecutable(_ name: String) -> String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent(name).path
    }

    static func findPlotScript() -> String? {
        var candidates = [URL(fileURLWithPath: "scripts/chaos-plot.py")]
        var directory = URL(fileURLWithPath: besideExecutable("keel-chaos")).deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(directory.appendingPathComponent("scripts/chaos-plot.py"))
            directory = directory.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }?.path
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: Date())
    }
}
