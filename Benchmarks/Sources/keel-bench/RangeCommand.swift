import ArgumentParser
import EtcdAPI

/// `keel-bench range`: one Range of a single key per request, linearizable or serializable, as etcd's
/// `benchmark range`.
struct RangeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "range",
        abstract: "Range requests of one key: throughput and latency."
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "l: linearizable, s: serializable.")
    var consistency = ReadConsistency.l

    @Flag(help: "Write every key of the key space first (not timed), so that every read finds its key.")
    var prefill = false

    func run() async throws {
        let space = try options.keySpace()
        let keys = space.allKeys
        let serializable = consistency.serializable
        var result = try await withUnaryConnectionPool(try await options.targetEndpoints(), options: options) { pool in
            if prefill { try await prefillKeys(keys, value: space.value(0), pool: pool) }
            return try await WorkloadRunner("range", options: options, series: ["range"]).run { worker in
                let kv = pool.kv(for: worker.index)
                while let number = await worker.next() {
                    var request = Etcdserverpb_RangeRequest()
                    request.key = keys[worker.keyIndex(number)]
                    request.serializable = serializable
                    await worker.time { _ = try await kv.range(request) }
                }
            }
        }
        result.parameters["consistency"] = consistency.rawValue
        try result.print(json: options.json)
    }
}
