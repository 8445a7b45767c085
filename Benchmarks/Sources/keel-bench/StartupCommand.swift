import ArgumentParser
import EtcdAPI
import Foundation
import GRPCCore

/// `keel-bench startup`: how long a server takes from being spawned to answering its first read, on the data
/// directory it is given. Each run spawns the server, polls it with Range requests until one succeeds, then
/// stops it (SIGTERM, waiting for it to exit) before the next run.
struct StartupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "Measure the time from spawning a server to its first successful Range.",
        discussion: """
            The server must already have its data: start-up is measured on an existing data directory. The time \
            covers the process start, opening the data, listening, and one Range request over a fresh gRPC \
            connection (reconnecting every --poll-interval until the server listens).
            """
    )

    @Option(help: "The server executable.")
    var binary: String

    @Option(
        help: "The server's arguments, separated by spaces, no quoting (write --args=\"...\" when they start with -)."
    )
    var args: String

    @Option(help: "The server's client address, host:port.")
    var endpoint: Endpoint

    @Option(help: "Number of runs.")
    var runs = 5

    @Option(help: "The key the probing Range reads (default: key 0 of `load`'s 8-byte keys).")
    var key = "00000000"

    @Flag(help: "Probe with serializable reads (default: linearizable, etcd's default for Range).")
    var serializable = false

    @Option(help: "Milliseconds between probes, and between connection attempts.")
    var pollInterval = 2

    @Option(help: "Milliseconds each probe may take.")
    var probeTimeout = 250

    @Option(help: "Seconds after which a run fails if the server has not answered.")
    var timeout = 120

    @Option(help: "File the server's output is appended to.")
    var log = "/dev/null"

    @Option(help: "A label for the printed results.")
    var label: String?

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard pollInterval >= 1, probeTimeout >= 1, timeout >= 1 else {
            throw ValidationError("--poll-interval, --probe-timeout and --timeout must be positive")
        }
    }

    func run() async throws {
        let arguments = args.split(separator: " ").map(String.init)
        let name = label ?? URL(fileURLWithPath: binary).lastPathComponent
        var samples: [Duration] = []
        var stopTimes: [Duration] = []
        for run in 1...runs {
            let (elapsed, found, stopTime) = try await measureOnce(arguments: arguments)
            samples.append(elapsed)
            stopTimes.append(stopTime)
            say("\(name) run \(run): first read after \(elapsed.millisecondsText) ms (\(found) kv); "
                + "exited \(stopTime.millisecondsText) ms after SIGTERM")
        }
        let summary = Summary(samples)
        say("\(name) start-up to first read over \(runs) runs: min \(summary.min.millisecondsText) ms, "
            + "median \(summary.median.millisecondsText) ms, max \(summary.max.millisecondsText) ms")
    }

    /// One spawn-probe-stop cycle: the time to the first successful Range, the number of keys it found, and
    /// how long the server took to exit after SIGTERM.
    private func measureOnce(arguments: [String]) async throws -> (Duration, Int, Duration) {
        let pollInterval = Duration.milliseconds(self.pollInterval)
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(key.utf8)
        request.serializable = serializable
        let probe = request
        var callOptions = CallOptions.defaults
        callOptions.timeout = .milliseconds(probeTimeout)
        callOptions.waitForReady = true
        let options = callOptions
        let deadline = Duration.seconds(timeout)

        // The client exists before the server does: only the server's start-up is inside the measurement.
        return try await withKVClient(endpoint, reconnectEvery: pollInterval) { [binary, log] client in
            let clock = ContinuousClock()
            let start = clock.now
            let server = try ServerProcess(executable: binary, arguments: arguments, logPath: log)
            do {
                var lastError: any Error = BenchError("no probe ran")
                while clock.now - start < deadline {
                    do {
                        let response = try await client.range(probe, options: options)
                        let elapsed = clock.now - start
                        let stopTime = await server.stop()
                        return (elapsed, response.kvs.count, stopTime)
                    } catch {
                        lastError = error
                    }
                    if server.hasExited { throw BenchError("\(binary) exited before answering (see \(log))") }
                    try await Task.sleep(for: pollInterval)
                }
                throw BenchError("no successful Range within \(deadline); last error: \(lastError)")
            } catch {
                await server.stop()
                throw error
            }
        }
    }
}
