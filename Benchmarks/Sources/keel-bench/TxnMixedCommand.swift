import ArgumentParser
import EtcdAPI

/// `keel-bench txn-mixed`: Txns that each read one key or write one key, a given fraction of them reads, as
/// etcd's `benchmark txn-mixed`. Reads and writes are reported as separate latency series.
struct TxnMixedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txn-mixed",
        abstract: "Txn requests mixing one-key reads and one-key writes: throughput and latency of each.",
        discussion: """
            Request n is a read when floor((n + 1) × ratio) > floor(n × ratio), so exactly the given fraction \
            of the requests are reads, spread evenly.
            """
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "Fraction of the requests that are reads, from 0 to 1.")
    var readRatio = 0.5

    @Flag(help: "Write every key of the key space first (not timed), so that every read finds its key.")
    var prefill = false

    func validate() throws {
        guard (0...1).contains(readRatio) else { throw ValidationError("--read-ratio must be between 0 and 1") }
    }

    func run() async throws {
        let space = try options.keySpace()
        let keys = space.allKeys
        let value = space.value(0)
        let ratio = readRatio
        var result = try await withUnaryConnectionPool(try await options.targetEndpoints(), options: options) { pool in
            if prefill { try await prefillKeys(keys, value: value, pool: pool) }
            return try await WorkloadRunner("txn-mixed", options: options, series: ["read", "write"]).run { worker in
                let kv = pool.kv(for: worker.index)
                while let number = await worker.next() {
                    let isRead = (Double(number + 1) * ratio).rounded(.down) > (Double(number) * ratio).rounded(.down)
                    var op = Etcdserverpb_RequestOp()
                    let key = keys[worker.keyIndex(number)]
                    if isRead {
                        var range = Etcdserverpb_RangeRequest()
                        range.key = key
                        op.requestRange = range
                    } else {
                        var put = Etcdserverpb_PutRequest()
                        put.key = key
                        put.value = value
                        op.requestPut = put
                    }
                    var request = Etcdserverpb_TxnRequest()
                    request.success = [op]
                    await worker.time(series: isRead ? 0 : 1) { _ = try await kv.txn(request) }
                }
            }
        }
        result.parameters["readRatio"] = String(readRatio)
        try result.print(json: options.json)
    }
}
