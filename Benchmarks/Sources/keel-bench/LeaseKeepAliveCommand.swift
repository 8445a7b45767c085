import ArgumentParser
import EtcdAPI
import GRPCCore

/// `keel-bench lease-keepalive`: each client grants itself a lease, then renews it over one LeaseKeepAlive
/// stream, one renewal in flight at a time, as etcd's `benchmark lease-keepalive`. The latency is from
/// sending a renewal to receiving its answer. The leases are revoked at the end.
struct LeaseKeepAliveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lease-keepalive",
        abstract: "Lease renewals over LeaseKeepAlive streams: throughput and latency."
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "TTL (seconds) of the leases granted.")
    var ttl = 60

    func run() async throws {
        let ttl = Int64(self.ttl)
        var result = try await withConnectionPool(
            try await options.targetEndpoints(), count: options.conns, coalesceFlushes: options.coalesceFlushes
        ) { pool in
            try await WorkloadRunner("lease-keepalive", options: options, series: ["keepalive"]).run { worker in
                let lease = pool.lease(for: worker.index)
                var grant = Etcdserverpb_LeaseGrantRequest()
                grant.ttl = ttl
                let id = try await lease.leaseGrant(grant).id
                var renewal = Etcdserverpb_LeaseKeepAliveRequest()
                renewal.id = id
                let request = renewal
                var finished = false
                // A stream that fails counts one failed renewal and is opened again.
                while !finished {
                    do {
                        finished = try await Self.renew(request, over: lease, worker: worker)
                    } catch {
                        await worker.failed(error)
                    }
                }
                var revoke = Etcdserverpb_LeaseRevokeRequest()
                revoke.id = id
                _ = try? await lease.leaseRevoke(revoke)
            }
        }
        result.parameters["ttl"] = String(ttl)
        try result.print(json: options.json)
    }

    /// Sends renewals one at a time over one stream until the run is over (true) or the stream ends (false).
    ///
    /// The first renewal is queued before the call: the server sends its response headers only with its first
    /// answer, and the response handler does not run before them.
    private static func renew(
        _ request: Etcdserverpb_LeaseKeepAliveRequest, over lease: LeaseClient, worker: WorkloadWorker
    ) async throws -> Bool {
        guard await worker.next() != nil else { return true }
        let (requests, continuation) = AsyncStream.makeStream(of: Etcdserverpb_LeaseKeepAliveRequest.self)
        defer { continuation.finish() }
        let firstStart = ContinuousClock.now
        continuation.yield(request)
        return try await lease.leaseKeepAlive(
            requestProducer: { writer in
                for await request in requests { try await writer.write(request) }
            },
            onResponse: { response in
                var answers = response.messages.makeAsyncIterator()
                var start = firstStart
                while true {
                    guard let answer = try await answers.next() else { return false }
                    guard answer.ttl > 0 else { throw BenchError("lease \(request.id) expired") }
                    worker.record(since: start)
                    guard await worker.next() != nil else { break }
                    start = ContinuousClock.now
                    continuation.yield(request)
                }
                continuation.finish()
                return true
            })
    }
}
