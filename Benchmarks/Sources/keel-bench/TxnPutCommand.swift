import ArgumentParser
import EtcdAPI

/// `keel-bench txn-put`: one Txn of `--txn-ops` puts (to distinct, consecutive keys) per request, as
/// etcd's `benchmark txn-put`.
struct TxnPutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txn-put",
        abstract: "Txn requests of puts: throughput and latency."
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "Puts per Txn (distinct keys, so at most --key-space-size).")
    var txnOps = 1

    func validate() throws {
        guard txnOps >= 1 else { throw ValidationError("--txn-ops must be at least 1") }
        guard txnOps <= options.keySpaceSize else {
            throw ValidationError("--txn-ops must not exceed --key-space-size: a txn may not put a key twice")
        }
    }

    func run() async throws {
        let space = try options.keySpace()
        let keys = space.allKeys
        let value = space.value(0)
        let txnOps = self.txnOps
        var result = try await withUnaryConnectionPool(try await options.targetEndpoints(), options: options) { pool in
            try await WorkloadRunner("txn-put", options: options, series: ["txn"]).run { worker in
                let kv = pool.kv(for: worker.index)
                while let number = await worker.next() {
                    let first = worker.keyIndex(number)
                    var request = Etcdserverpb_TxnRequest()
                    request.success = (0..<txnOps).map { offset in
                        var put = Etcdserverpb_PutRequest()
                        put.key = keys[(first + offset) % keys.count]
                        put.value = value
                        var op = Etcdserverpb_RequestOp()
                        op.requestPut = put
                        return op
                    }
                    await worker.time { _ = try await kv.txn(request) }
                }
            }
        }
        result.parameters["txnOps"] = String(txnOps)
        try result.print(json: options.json)
    }
}
