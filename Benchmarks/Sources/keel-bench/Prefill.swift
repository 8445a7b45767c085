import EtcdAPI
import Foundation

/// Writes every key of a key space once, with `value`, before a read workload, so that each read finds its
/// key. Txns of up to 128 puts (etcd's default limit per txn), from up to 8 clients at once.
func prefillKeys(_ keys: [Data], value: Data, pool: UnaryConnectionPool) async throws {
    let batch = 128
    let batchCount = (keys.count + batch - 1) / batch
    let nextBatch = Counter()
    let retries = Counter()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for worker in 0..<min(8, batchCount) {
            let kv = pool.kv(for: worker)
            group.addTask {
                while true {
                    let number = nextBatch.next()
                    guard number < batchCount else { return }
                    var request = Etcdserverpb_TxnRequest()
                    request.success = keys[(number * batch)..<min((number + 1) * batch, keys.count)].map { key in
                        var put = Etcdserverpb_PutRequest()
                        put.key = key
                        put.value = value
                        var op = Etcdserverpb_RequestOp()
                        op.requestPut = put
                        return op
                    }
                    let response = try await LoadCommand.send(request, with: kv, retries: retries)
                    guard response.succeeded else { throw BenchError("prefill txn \(number) failed") }
                }
            }
        }
        try await group.waitForAll()
    }
}
