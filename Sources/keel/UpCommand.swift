import ArgumentParser
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `keel up`: a local cluster on loopback, each member a child process running `keel store`.
///
/// Every line a member writes is copied to this process's output with the member's name in front. A member
/// that ends on its own is reported and the others keep running, since stopping one member by hand is a
/// normal way to try the cluster. SIGINT or SIGTERM stops every member with SIGTERM, then SIGKILL for those
/// still running 10 s later, and ends with status 0.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run a local store cluster on 127.0.0.1, one `keel store` child process per member.",
        discussion: """
            Members are named m1, m2, …; with the default ports their clients, peers and metrics listen on \
            2379/2380/2381, 22379/22380/22381 and 32379/32380/32381. Run it again on the same --data-dir to \
            resume the same cluster. Ctrl-C stops every member.
            """
    )

    @Option(help: "Number of members.")
    var members = 3

    @Option(help: "Directory holding each member's data directory, <data-dir>/<name>.etcd.")
    var dataDir = "keel-up.data"

    @Option(help: "Client port of m1, with its peer and metrics ports next; m2, m3, … add 20000, 30000, … to them.")
    var basePort = 2379

    @Option(help: "Comma-separated client ports, one per member (overrides --base-port).")
    var clientPorts: String?

    @Option(help: "Comma-separated peer ports, one per member (overrides --base-port).")
    var peerPorts: String?

    @Option(help: "Comma-separated metrics ports, one per member (overrides --base-port).")
    var metricsPorts: String?

    @Option(help: "Initial cluster token shared by every member.")
    var initialClusterToken = "keel-up"

    @Option(help: "Time (ms) of a heartbeat interval, passed to every member.")
    var heartbeatInterval: Int?

    @Option(help: "Time (ms) of an election timeout, passed to every member.")
    var electionTimeout: Int?

    @Option(help: "Committed transactions between two snapshots, passed to every member.")
    var snapshotCount: Int?

    @Flag(help: "Skip fsync on commit in every member: faster, but a power loss can lose acknowledged writes.")
    var unsafeNoFsync = false

    @Option(help: "Log level of every member: debug, info, warn or error.")
    var logLevel: String?

    /// How long members get to stop after SIGTERM before they are killed.
    private static let stopGrace: Duration = .seconds(10)

    func validate() throws {
        _ = try makePlan()
        if let logLevel { _ = try parseLogLevel(logLevel) }
    }

    func run() async throws {
        let plan = try makePlan()
        try FileManager.default.createDirectory(atPath: absoluteDataDirectory, withIntermediateDirectories: true)
        let executable = Self.ownExecutable()

        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let (events, sink) = AsyncStream.makeStream(of: Event.self)
        let sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { sink.yield(.signal(number)) }
            source.resume()
            return source
        }
        defer { for source in sources { source.cancel() } }

        let width = plan.members.map(\.name.count).max() ?? 0
        var processes: [MemberProcess] = []
        for (index, member) in plan.members.enumerated() {
            let prefix = member.name.padding(toLength: width, withPad: " ", startingAt: 0) + " | "
            do {
                processes.append(
                    try MemberProcess.spawn(
                        name: member.name, prefix: prefix, executable: executable,
                        arguments: plan.storeArguments(for: member, extra: passedThrough),
                        onExit: { sink.yield(.exited(index, $0)) }))
            } catch {
                for process in processes { process.send(SIGKILL) }
                throw error
            }
        }
        printBanner(plan, processes)

        try await supervise(processes, events: events, sink: sink)
    }

    /// Reports members that end; at the first SIGINT or SIGTERM sends SIGTERM to every running member and
    /// waits for them, sending SIGKILL to those left after the grace period or at a second signal.
    private func supervise(
        _ processes: [MemberProcess], events: AsyncStream<Event>, sink: AsyncStream<Event>.Continuation
    ) async throws {
        var running = Set(processes.indices)
        var stopping = false
        var killed = false
        var timer: Task<Void, Never>?
        defer { timer?.cancel() }
        func killRunning() {
            killed = true
            for index in running.sorted() {
                report("\(describe(processes[index])) did not stop; sending SIGKILL")
                processes[index].send(SIGKILL)
            }
        }
        for await event in events {
            switch event {
            case .exited(let index, let termination):
                running.remove(index)
                if !stopping {
                    report("\(describe(processes[index])) \(termination)")
                    if running.isEmpty {
                        report("every member has ended")
                        throw ExitCode.failure
                    }
                    report("\(running.count) of \(processes.count) members still running")
                } else if termination != .exited(status: 0) || killed {
                    report("\(describe(processes[index])) \(termination)")
                }
            case .signal where !stopping:
                stopping = true
                report("stopping \(running.sorted().map { processes[$0].name }.joined(separator: ", "))")
                for index in running.sorted() { processes[index].send(SIGTERM) }
                timer = Task {
                    try? await Task.sleep(for: Self.stopGrace)
                    sink.yield(.deadline)
                }
            case .signal, .deadline:
                if stopping && !killed { killRunning() }
            }
            if stopping && running.isEmpty {
                report("stopped")
                return
            }
        }
    }

    private enum Event: Sendable {
        case exited(Int, MemberProcess.Termination)
        case signal(Int32)
        case deadline
    }

    private func makePlan() throws -> LocalClusterPlan {
        try LocalClusterPlan(
            count: members, dataDirectory: absoluteDataDirectory, token: initialClusterToken, basePort: basePort,
            clientPorts: try clientPorts.map { try Self.ports($0, flag: "--client-ports") },
            peerPorts: try peerPorts.map { try Self.ports($0, flag: "--peer-ports") },
            metricsPorts: try metricsPorts.map { try Self.ports($0, flag: "--metrics-ports") })
    }

    private var absoluteDataDirectory: String {
        URL(fileURLWithPath: dataDir).standardizedFileURL.path
    }

    /// The flags every member gets beyond those of the plan.
    private var passedThrough: [String] {
        var arguments: [String] = []
        if let heartbeatInterval { arguments += ["--heartbeat-interval", String(heartbeatInterval)] }
        if let electionTimeout { arguments += ["--election-timeout", String(electionTimeout)] }
        if let snapshotCount { arguments += ["--snapshot-count", String(snapshotCount)] }
        if unsafeNoFsync { arguments.append("--unsafe-no-fsync") }
        if let logLevel { arguments += ["--log-level", logLevel] }
        return arguments
    }

    private func printBanner(_ plan: LocalClusterPlan, _ processes: [MemberProcess]) {
        ConsoleOutput.line("keel up: \(plan.members.count) members on 127.0.0.1, data in \(absoluteDataDirectory)")
        for (member, process) in zip(plan.members, processes) {
            ConsoleOutput.line(
                "  \(member.name)  pid=\(process.pid)  client=\(member.clientURL)  peer=\(member.peerURL)  "
                    + "metrics=\(member.metricsURL)/metrics")
        }
        ConsoleOutput.line("keel up: endpoints \(plan.endpoints)")
        ConsoleOutput.line(
            "keel up: try  ETCDCTL_API=3 etcdctl --endpoints=\(plan.endpoints) endpoint status --cluster -w table")
        ConsoleOutput.line("keel up: Ctrl-C stops every member")
    }

    private func describe(_ process: MemberProcess) -> String {
        "\(process.name) (pid \(process.pid))"
    }

    private func report(_ message: String) {
        ConsoleOutput.line("keel up: \(message)", to: .standardError)
    }

    private static func ports(_ text: String, flag: String) throws -> [Int] {
        try text.split(separator: ",").map { item in
            guard let port = Int(item.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("\(flag): \"\(item)\" is not a port number")
            }
            return port
        }
    }

    /// This executable, so that members run the same build as `keel up` itself.
    private static func ownExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
