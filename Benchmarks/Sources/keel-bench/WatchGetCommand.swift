import ArgumentParser
import EtcdAPI
import Foundation

/// `keel-bench watch-get`: Range latency while many watchers catch up on history, as etcd's
/// `benchmark watch-get`. It first writes `--watch-events` revisions of one key, then creates the watchers
/// from the first of them (so each has that many old events to receive) and, at the same time, runs the
/// Range workload on that key.
struct WatchGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-get",
        abstract: "Range latency while many watchers catch up on past events.",
        discussion: """
            Reports the Ranges' throughput and latency, and how long the watchers took to receive all their \
            events (from the first create request to the last event).
            """
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "Watchers in all.")
    var watchers = 1000

    @Option(help: "Watch streams the watchers are spread over.")
    var streams = 1

    @Option(help: "Revisions of the watched key written first; each watcher receives all of them.")
    var watchEvents = 8

    @Option(help: "l: linearizable, s: serializable Ranges.")
    var consistency = ReadConsistency.s

    @Option(help: "Seconds to wait for the watchers' events.")
    var waitTimeout = 120

    func validate() throws {
        guard watchers >= 1, streams >= 1, streams <= watchers, watchEvents >= 1 else {
            throw ValidationError("--watchers, --streams, --watch-events must be at least 1, --streams ≤ --watchers")
        }
    }

    func run() async throws {
        let space = try options.keySpace()
        let key = space.key(0)
        let value = space.value(0)
        let serializable = consistency.serializable
        let timeout = Duration.seconds(waitTimeout)
        let watchers = self.watchers
        let streams = self.streams
        let watchEvents = self.watchEvents

        var result = try await withConnectionPool(
            try await options.targetEndpoints(), count: options.conns, coalesceFlushes: options.coalesceFlushes
        ) { pool in
            let kv = pool.kv(for: 0)
            var firstRevision: Int64 = 0
            for number in 0..<watchEvents {
                var put = Etcdserverpb_PutRequest()
                put.key = key
                put.value = value
                let response = try await kv.put(put)
                if number == 0 { firstRevision = response.header.revision }
            }
            let set = WatcherSet(count: watchers, streams: streams, keys: [key], startRevision: firstRevision)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                let start = ContinuousClock.now
                group.addTask { await set.run(pool) }
                defer { group.cancelAll() }
                var result = try await WorkloadRunner("watch-get", options: options, series: ["range"]).run { worker in
                    let kv = pool.kv(for: worker.index)
                    var request = Etcdserverpb_RangeRequest()
                    request.key = key
                    request.serializable = serializable
                    while await worker.next() != nil {
                        await worker.time { _ = try await kv.range(request) }
                    }
                }
                try await set.wait(
                    for: set.events, toReach: watchers * watchEvents, timeout: timeout, what: "events delivered")
                let catchUp = (set.lastEventInstant - start).milliseconds / 1000
                result.extra["watchersCaughtUpSeconds"] = catchUp
                result.extra["events"] = Double(set.events.value)
                result.extra["eventsPerSecond"] = catchUp > 0 ? Double(set.events.value) / catchUp : 0
                return result
            }
        }
        result.parameters["watchers"] = String(watchers)
        result.parameters["streams"] = String(streams)
        result.parameters["watchEvents"] = String(watchEvents)
        result.parameters["consistency"] = consistency.rawValue
        try result.print(json: options.json)
    }
}
