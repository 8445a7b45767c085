import ArgumentParser

/// The options every load workload shares, named after etcd's `benchmark` tool so that the same command
/// lines read the same against both servers.
///
/// A run ends after `--total` requests or, when `--duration` is given, after that many seconds, whichever
/// comes first. `--rate` caps the requests per second of all clients together (0: as fast as they go).
struct WorkloadOptions: ParsableArguments {
    @Option(help: "Comma-separated host:port list; connections are spread over them in turn.")
    var endpoints: EndpointList

    @Option(help: "all: spread the connections over every endpoint; leader: only over the one that leads.")
    var target = EndpointTarget.all

    @Option(help: "gRPC connections (HTTP/2), shared by the clients: client i uses connection i mod conns.")
    var conns = 1

    @Option(help: "Concurrent clients, each with one request in flight.")
    var clients = 1

    @Option(help: "Requests in all (ignored when --duration is given).")
    var total = 10_000

    @Option(help: "Seconds to run instead of a fixed --total.")
    var duration: Double?

    @Option(help: "Requests per second of all clients together; 0 for no limit.")
    var rate = 0.0

    @Option(help: "Bytes per key (zero-padded decimal numbers, at least as many as the key space needs).")
    var keySize = 8

    @Option(help: "Bytes per value.")
    var valSize = 8

    @Option(help: "Number of distinct keys the requests use.")
    var keySpaceSize = 1

    @Flag(help: "Use the keys in order (request n uses key n mod key space) rather than at random.")
    var sequentialKeys = false

    @Option(
        help: """
            lean: GRPCWire's unary client (no task or stream channel per call, writes flushed once per event-loop \
            tick); grpc-swift: grpc-swift's client. For put, range, txn-put, txn-mixed; the others use grpc-swift.
            """)
    var client = UnaryClientKind.lean

    @Flag(help: "grpc-swift's client only: let it hold a connection's writes for up to 100 µs to send them together.")
    var coalesceFlushes = false

    @Option(
        help: """
            Comma-separated pids of the server processes: the CPU time they and this client use during the \
            measured run is reported (cpuMsPerRequest.server, cpuMsPerRequest.client).
            """)
    var cpuPids: PidList?

    @Flag(help: "Print the result as one line of JSON on standard output.")
    var json = false

    @Flag(help: "No progress bar on standard error, even on a terminal.")
    var noProgress = false

    func validate() throws {
        guard conns >= 1, clients >= 1 else { throw ValidationError("--conns and --clients must be at least 1") }
        guard total >= 1 else { throw ValidationError("--total must be at least 1") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        guard rate >= 0 else { throw ValidationError("--rate must not be negative") }
        guard keySpaceSize >= 1 else { throw ValidationError("--key-space-size must be at least 1") }
        guard valSize >= 0 else { throw ValidationError("--val-size must not be negative") }
    }

    /// The endpoints the connections go to: all of them, or the leader's only (asked with
    /// Maintenance.Status, which every member answers with its view of the leader).
    func targetEndpoints() async throws -> [Endpoint] {
        let endpoints = self.endpoints.endpoints
        guard target == .leader else { return endpoints }
        // Right after a cluster starts, members may not all know the leader yet: ask again for a while.
        return try await withMemberClients(endpoints, reconnectEvery: .milliseconds(100)) { clients in
            let deadline = ContinuousClock.now + .seconds(30)
            while true {
                let status = await ClusterStatus.poll(clients, timeout: .seconds(2))
                if let leader = status.agreedLeader,
                    let index = status.members.firstIndex(where: { $0?.memberID == leader })
                {
                    return [endpoints[index]]
                }
                guard ContinuousClock.now < deadline else {
                    throw BenchError("the endpoints did not agree on a leader among them within 30 s")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// The keys and values the requests use.
    func keySpace() throws -> KeySpace {
        try KeySpace(count: keySpaceSize, keySize: keySize, valueSize: valSize)
    }

    /// When the run stops: after `total` requests, or at the end of `duration`.
    var limit: WorkloadLimit {
        if let duration { return .duration(.milliseconds(Int64(duration * 1000))) }
        return .requests(total)
    }
}
