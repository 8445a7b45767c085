import Foundation

/// The real etcdctl (v3 API) run against given endpoints, each command bounded in time.
enum Etcdctl {
    struct Outcome: Sendable, CustomStringConvertible {
        var status: Int32
        var output: String
        var errors: String
        var timedOut: Bool

        var succeeded: Bool { status == 0 && !timedOut }
        var lines: [String] { output.split(separator: "\n").map(String.init) }
        var description: String { "status \(status)\(timedOut ? " (timed out)" : ""): \(output)\(errors)" }
    }

    static var path: String? {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return searchPath.split(separator: ":").map { "\($0)/etcdctl" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    static var isInstalled: Bool { path != nil }

    /// Runs one command to completion, or kills it after `timeLimit`.
    static func run(
        _ arguments: [String], endpoints: [String], input: String? = nil, timeLimit: Duration = .seconds(20)
    ) async throws -> Outcome {
        let command = try start(arguments, endpoints: endpoints, input: input)
        defer { command.cleanUp() }
        let finished = await command.process.waitForExit(within: timeLimit)
        if !finished { await command.process.kill() }
        let termination = command.process.termination
        return Outcome(
            status: termination?.status ?? -1, output: command.process.output, errors: command.process.errors,
            timedOut: !finished)
    }

    /// A command left running (a watch), whose output so far can be read.
    struct Running: Sendable {
        let process: ChildProcess
        let directory: URL

        /// Polls the output until `condition` holds, for at most `limit`; the output last read.
        func output(within limit: Duration, until condition: (String) -> Bool) async -> String {
            let deadline = ContinuousClock.now + limit
            while true {
                let text = process.output
                if condition(text) || ContinuousClock.now >= deadline { return text }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }

        func cleanUp() {
            process.killNow()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func start(_ arguments: [String], endpoints: [String], input: String? = nil) throws -> Running {
        guard let path else { throw POSIXError(.ENOENT) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etcdctl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = try ChildProcess.start(
            path, ["--endpoints=\(endpoints.joined(separator: ","))", "--dial-timeout=2s"] + arguments,
            environment: ["ETCDCTL_API": "3"], outputFile: directory.appendingPathComponent("stdout"),
            errorFile: directory.appendingPathComponent("stderr"), input: input)
        return Running(process: process, directory: directory)
    }
}
