import ArgumentParser
import EtcdAPI

/// `keel-bench put`: one Put per request, as etcd's `benchmark put`.
struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Put requests: throughput and latency."
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "Comma-separated pids of the members: their VmRSS after the run is reported.")
    var memberPids: PidList?

    func run() async throws {
        let space = try options.keySpace()
        let keys = space.allKeys
        let value = space.value(0)
        var result = try await withUnaryConnectionPool(try await options.targetEndpoints(), options: options) { pool in
            try await WorkloadRunner("put", options: options, series: ["put"]).run { worker in
                let kv = pool.kv(for: worker.index)
                while let number = await worker.next() {
                    var request = Etcdserverpb_PutRequest()
                    request.key = keys[worker.keyIndex(number)]
                    request.value = value
                    await worker.time { _ = try await kv.put(request) }
                }
            }
        }
        if let memberPids { result.extra.merge(try ProcessMemory.figures(memberPids.pids)) { $1 } }
        try result.print(json: options.json)
    }
}
