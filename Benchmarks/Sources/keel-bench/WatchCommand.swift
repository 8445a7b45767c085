import ArgumentParser
import EtcdAPI
import Foundation

/// `keel-bench watch`: W watchers on S streams, then puts to the watched keys; how many events per second
/// reach the watchers and how long after its put each event arrives. As etcd's `benchmark watch`, but the
/// latency is measured end to end: each put's value carries the instant it was sent.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watchers on streams, puts to the watched keys: events per second and put-to-event latency.",
        discussion: """
            --total puts (or --duration) from --clients clients, at --rate, to the --key-space-size watched \
            keys; watcher j watches key j mod key space. The run ends when every event of every acknowledged \
            put has arrived. With --member-pids (in the order of --endpoints) it also reports each member's \
            VmRSS before and after the watchers were created, and that growth per 10,000 of its watchers.
            """
    )

    @OptionGroup var options: WorkloadOptions

    @Option(help: "Watchers in all.")
    var watchers = 100

    @Option(help: "Watch streams the watchers are spread over (each on a connection in turn).")
    var streams = 10

    @Option(help: "Seconds to wait for every watcher to be created, and for every event to arrive.")
    var waitTimeout = 120

    @Option(help: "Comma-separated pids of the members, in the order of --endpoints.")
    var memberPids: PidList?

    func validate() throws {
        guard watchers >= 1, streams >= 1, streams <= watchers else {
            throw ValidationError("--watchers and --streams must be at least 1, and --streams at most --watchers")
        }
        if let memberPids, memberPids.pids.count != options.endpoints.endpoints.count {
            throw ValidationError("--member-pids needs one pid per endpoint, in the same order")
        }
        if memberPids != nil && options.target != .all {
            throw ValidationError("--member-pids needs --target all")
        }
    }

    func run() async throws {
        let space = try options.keySpace()
        let keys = space.allKeys
        let stamp = EventStamp(valueSize: options.valSize)
        let set = WatcherSet(count: watchers, streams: streams, keys: keys, stamp: stamp)
        let expected = Counter()
        let timeout = Duration.seconds(waitTimeout)
        let pids = memberPids?.pids ?? []
        let endpointCount = options.endpoints.endpoints.count

        var result = try await withConnectionPool(
            try await options.targetEndpoints(), count: options.conns, coalesceFlushes: options.coalesceFlushes
        ) { pool in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let before = try ProcessMemory.figures(pids)
                group.addTask { await set.run(pool) }
                defer { group.cancelAll() }
                let creation = ContinuousClock.now
                try await set.wait(for: set.created, toReach: watchers, timeout: timeout, what: "watchers created")
                let creationTime = ContinuousClock.now - creation
                // Let the members settle (allocator, stream buffers) before reading their memory.
                if !pids.isEmpty { try await Task.sleep(for: .milliseconds(500)) }
                let after = try ProcessMemory.figures(pids)

                let putsStart = ContinuousClock.now
                var result = try await WorkloadRunner("watch", options: options, series: ["put"]).run { worker in
                    let kv = pool.kv(for: worker.index)
                    while let number = await worker.next() {
                        let key = worker.keyIndex(number)
                        var request = Etcdserverpb_PutRequest()
                        request.key = keys[key]
                        request.value = stamp.value()
                        let start = ContinuousClock.now
                        do {
                            _ = try await kv.put(request)
                            worker.record(since: start)
                            expected.add(set.watchers(ofKey: key))
                        } catch {
                            await worker.failed(error)
                        }
                    }
                }
                try await set.wait(for: set.events, toReach: expected.value, timeout: timeout, what: "events delivered")
                let deliverySeconds = (set.lastEventInstant - putsStart).milliseconds / 1000

                result.extra["watchersCreatedSeconds"] = creationTime.milliseconds / 1000
                result.extra["events"] = Double(set.events.value)
                result.extra["eventsPerSecond"] = deliverySeconds > 0 ? Double(set.events.value) / deliverySeconds : 0
                let eventLatency = set.latency.summary
                result.extra["eventP50Ms"] = eventLatency.p50Ms
                result.extra["eventP99Ms"] = eventLatency.p99Ms
                for (position, _) in pids.enumerated() {
                    let key = "rssMiB.\(position)"
                    let onMember = set.watchers(
                        onEndpoint: position, endpointCount: endpointCount, conns: options.conns)
                    result.extra["\(key).before"] = before[key]
                    result.extra["\(key).watchers"] = after[key]
                    result.extra["watchers.\(position)"] = Double(onMember)
                    if onMember > 0, let grown = after[key].map({ $0 - before[key]! }) {
                        result.extra["rssMiBPer10kWatchers.\(position)"] = grown / Double(onMember) * 10_000
                    }
                }
                result.series["put-to-event"] = eventLatency
                return result
            }
        }
        result.parameters["watchers"] = String(watchers)
        result.parameters["streams"] = String(streams)
        try result.print(json: options.json)
    }
}
