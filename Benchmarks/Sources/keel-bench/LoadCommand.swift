import ArgumentParser
import EtcdAPI
import Foundation
import GRPCCore

/// `keel-bench load`: writes a data set through the KV API, as Txn requests of up to `--batch` puts each,
/// from several clients at once (each on its own connection). Key `i` always has the same value, so the
/// same data set can be written to several servers and compared.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Write N keys through the etcd v3 KV API (Txn of up to --batch puts per request)."
    )

    @Option(help: "Comma-separated host:port list; clients are spread over them.")
    var endpoints: EndpointList

    @Option(help: "Number of keys to write (keys 0..<N).")
    var keys: Int

    @Option(help: "Bytes per key (zero-padded decimal).")
    var keySize = 8

    @Option(help: "Bytes per value.")
    var valueSize = 256

    @Option(help: "Puts per Txn request (etcd's default limit is 128 operations per txn).")
    var batch = 128

    @Option(help: "Concurrent clients, each with its own connection and one request in flight.")
    var clients = 8

    @Option(help: "Give up after this many seconds.")
    var timeout = 1800

    func validate() throws {
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard clients >= 1 else { throw ValidationError("--clients must be at least 1") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1") }
    }

    func run() async throws {
        let space = try KeySpace(count: keys, keySize: keySize, valueSize: valueSize)
        let batchCount = (keys + batch - 1) / batch
        let batch = self.batch
        let nextBatch = Counter()
        let progress = LoadProgress(total: keys)
        let retries = Counter()
        let endpoints = self.endpoints.endpoints
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(timeout)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<clients {
                let endpoint = endpoints[worker % endpoints.count]
                group.addTask {
                    try await withKVClient(endpoint) { client in
                        while true {
                            let number = nextBatch.next()
                            guard number < batchCount else { return }
                            guard clock.now < deadline else { throw BenchError("load did not finish in time") }
                            let first = number * batch
                            let request = Self.txn(space, keys: first..<min(first + batch, space.count))
                            let response = try await Self.send(request, with: .grpcSwift(client), retries: retries)
                            guard response.succeeded else { throw BenchError("txn of batch \(number) failed") }
                            progress.add(request.success.count, elapsed: clock.now - start)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - start

        let count = try await withKVClient(endpoints[0]) { client in
            var request = Etcdserverpb_RangeRequest()
            request.key = Data([0])
            request.rangeEnd = Data([0])
            request.countOnly = true
            return try await client.range(request).count
        }
        let rate = Double(keys) / (elapsed.milliseconds / 1000)
        say(
            "loaded \(keys) keys (\(keySize) B keys, \(valueSize) B values) in \(batchCount) txns from "
                + "\(clients) clients: \(elapsed.millisecondsText) ms, \(Int(rate)) keys/s; server now holds "
                + "\(count) keys; \(retries.value) txns resent after a lost connection")
    }

    /// Sends a txn, sending it again when the connection is lost before the answer (grpc-swift's client opens
    /// a new one by itself). Resending is harmless here: every put writes the same value.
    static func send(
        _ request: Etcdserverpb_TxnRequest, with client: UnaryKV, retries: Counter
    ) async throws -> Etcdserverpb_TxnResponse {
        var attempt = 1
        while true {
            do {
                return try await client.txn(request)
            } catch let error as RPCError where error.code == .unavailable && attempt < maxAttempts {
                attempt += 1
                _ = retries.next()
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    static let maxAttempts = 10

    static func txn(_ space: KeySpace, keys: Range<Int>) -> Etcdserverpb_TxnRequest {
        var request = Etcdserverpb_TxnRequest()
        request.success = keys.map { index in
            var put = Etcdserverpb_PutRequest()
            put.key = space.key(index)
            put.value = space.value(index)
            var op = Etcdserverpb_RequestOp()
            op.requestPut = put
            return op
        }
        return request
    }
}
