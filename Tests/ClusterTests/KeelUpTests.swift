import Foundation
import StoreClient
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension ClusterTests {
    @Test(
        "keel up: three members serve, SIGINT stops every one, a second run resumes on the same data",
        .timeLimit(.minutes(1)))
    func keelUp() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-up-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ports = try LoopbackPorts.free(9)
        let clientPorts = Array(ports[0..<3])
        let endpoints = clientPorts.map { "127.0.0.1:\($0)" }
        func list(_ ports: ArraySlice<Int>) -> String { ports.map(String.init).joined(separator: ",") }
        let dataDirectory: String = directory.appendingPathComponent("data").path
        let arguments: [String] = [
            "up", "--data-dir", dataDirectory,
            "--client-ports", list(ports[0..<3]), "--peer-ports", list(ports[3..<6]),
            "--metrics-ports", list(ports[6..<9]),
            "--heartbeat-interval", "50", "--election-timeout", "500",
        ]

        for run in 1...2 {
            let up = try ChildProcess.start(
                KeelBinary.path, arguments, outputFile: directory.appendingPathComponent("up-\(run).out"),
                errorFile: directory.appendingPathComponent("up-\(run).err"))
            var children: [Int32] = []
            defer {
                up.killNow()
                for pid in children where Self.isKeelStore(pid) { kill(pid, SIGKILL) }
            }
            let banner = await Self.output(of: up, within: .seconds(10)) { $0.matches(of: /pid=(\d+)/).count == 3 }
            children = banner.matches(of: /pid=(\d+)/).compactMap { Int32($0.1) }
            try #require(children.count == 3, "keel up printed: \(banner)\(up.errors)")
            #expect(banner.contains("etcdctl --endpoints=\(endpoints.joined(separator: ","))"))

            let serving = await eventually(within: .seconds(20)) {
                try await withClusterClient(endpoints: endpoints) { client in
                    let statuses = await client.status()
                    return statuses.allSatisfy { (try? $0.result.get()) != nil }
                        && statuses.contains { (try? $0.result.get())?.isLeader == true }
                }
            }
            try #require(serving, "keel up members did not serve; its errors: \(up.errors.suffix(3000))")

            let key = bytes("up/run-\(run)")
            _ = try await withClusterClient(endpoints: [endpoints[0]]) { client in
                try await client.put(key, bytes("hello"))
            }
            for endpoint in [endpoints[2], endpoints[1]] {
                let value = try await withClusterClient(endpoints: [endpoint]) { client in
                    try await client.get(key)?.string
                }
                #expect(value == "hello", "read through \(endpoint)")
            }
            if run == 1 {
                // Every member serves Prometheus metrics, among them the disk timings of its Raft loop.
                for (member, port) in ports[6..<9].enumerated() {
                    let metrics = try await Self.fetch("http://127.0.0.1:\(port)/metrics", in: directory)
                    for name in ["keel_store_log_save_duration_count", "keel_store_apply_commit_duration_count"] {
                        let count = Self.sample(name, in: metrics)
                        #expect((count ?? 0) > 0, "member \(member + 1): \(name) is \(String(describing: count))")
                    }
                }
            }
            if run == 2 {
                let earlier = try await withClusterClient(endpoints: [endpoints[1]]) { client in
                    try await client.get(bytes("up/run-1"))?.string
                }
                #expect(earlier == "hello", "the first run's write is there after the second start")
            }

            up.send(SIGINT)
            let ended = await up.waitForExit(within: .seconds(15))
            #expect(ended, "keel up ended after SIGINT")
            #expect(up.termination?.status == 0 && up.termination?.signalled == false, "keel up exit status")
            let left = children.filter(Self.isKeelStore)
            #expect(left.isEmpty, "members still running after keel up ended: \(left)")
        }
    }

    /// The value of the first sample named `name` in Prometheus text.
    private static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let first = fields.first else { continue }
            if first == name || first.hasPrefix(name + "{") { return Double(fields[fields.count - 1]) }
        }
        return nil
    }

    /// The body of an HTTP GET of `url`, through Python's standard library (no HTTP client in the tests).
    private static func fetch(_ url: String, in directory: URL) async throws -> String {
        let output = directory.appendingPathComponent("fetch-\(UUID().uuidString).out")
        let script = "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
        let fetch = try ChildProcess.start("/usr/bin/python3", ["-c", script, url], outputFile: output)
        defer { fetch.killNow() }
        _ = await fetch.waitForExit(within: .seconds(10))
        return fetch.output
    }

    private static func output(
        of process: ChildProcess, within limit: Duration, until condition: (String) -> Bool
    ) async -> String {
        let deadline = ContinuousClock.now + limit
        while true {
            let text = process.output
            if condition(text) || ContinuousClock.now >= deadline || !process.isRunning { return text }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Whether `pid` is (still) a running `keel store`; a PID reused by another program does not count.
    static func isKeelStore(_ pid: Int32) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.count > 1, arguments[0].hasSuffix("keel"), arguments[1] == "store" else { return false }
        // A zombie has an empty cmdline, so reaching here means it still runs.
        return true
    }
}
