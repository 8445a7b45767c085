import EtcdAPI
import Foundation
import GRPCCore
import Synchronization

/// `count` watchers spread over `streams` Watch streams, as etcd's benchmark opens them: watcher j is on
/// stream j mod streams and watches key j mod keys.count; stream s is on the pool's connection s.
///
/// It counts the watchers the server confirmed and the events delivered, and, when the values carry an
/// `EventStamp`, records each event's put-to-event latency.
final class WatcherSet: Sendable {
    let count: Int
    let streams: Int
    let keys: [Data]
    let startRevision: Int64
    let stamp: EventStamp?
    let created = Counter()
    let events = Counter()
    let latency: LatencyRecorder
    private let streamFailures = Mutex<[String]>([])
    /// Nanoseconds since `clockEpoch` of the latest event.
    private let lastEvent = Atomic<Int64>(0)
    private let clockEpoch = ContinuousClock.now

    init(count: Int, streams: Int, keys: [Data], startRevision: Int64 = 0, stamp: EventStamp? = nil) {
        self.count = count
        self.streams = streams
        self.keys = keys
        self.startRevision = startRevision
        self.stamp = stamp
        latency = LatencyRecorder(shards: min(streams, 16))
    }

    /// Watchers of key `index`.
    func watchers(ofKey index: Int) -> Int {
        count / keys.count + (index < count % keys.count ? 1 : 0)
    }

    /// Watchers whose stream is on a connection to endpoint `endpoint` of `endpointCount`, with `conns`
    /// connections spread over the endpoints in turn.
    func watchers(onEndpoint endpoint: Int, endpointCount: Int, conns: Int) -> Int {
        (0..<count).filter { ($0 % streams) % conns % endpointCount == endpoint }.count
    }

    /// When the latest event arrived.
    var lastEventInstant: ContinuousClock.Instant {
        clockEpoch + .nanoseconds(lastEvent.load(ordering: .relaxed))
    }

    /// Errors that ended a stream before it was cancelled.
    var failures: [String] { streamFailures.withLock { $0 } }

    /// Opens every stream and creates its watchers, then delivers events until the task is cancelled.
    func run(_ pool: ConnectionPool) async {
        await withTaskGroup(of: Void.self) { group in
            for stream in 0..<streams {
                group.addTask { await self.runStream(stream, client: pool.watch(for: stream)) }
            }
        }
    }

    private func runStream(_ stream: Int, client: WatchClient) async {
        let requests = stride(from: stream, to: count, by: streams).map { watcher in
            var create = Etcdserverpb_WatchCreateRequest()
            create.key = keys[watcher % keys.count]
            create.startRevision = startRevision
            var request = Etcdserverpb_WatchRequest()
            request.createRequest = create
            return request
        }
        do {
            try await client.watch(
                requestProducer: { writer in
                    try await writer.write(contentsOf: requests)
                    // Closing the request side would end the stream: keep it open until cancelled.
                    while !Task.isCancelled { try await Task.sleep(for: .milliseconds(100)) }
                },
                onResponse: { response in
                    for try await message in response.messages {
                        if message.created { _ = self.created.next() }
                        if message.canceled {
                            throw BenchError("watch \(message.watchID) canceled: \(message.cancelReason)")
                        }
                        guard !message.events.isEmpty else { continue }
                        for event in message.events {
                            if let stamp = self.stamp, let age = stamp.age(of: event.kv.value) {
                                self.latency.record(age, worker: stream)
                            }
                        }
                        _ = self.events.add(message.events.count)
                        self.noteEvent()
                    }
                })
        } catch {
            if !Task.isCancelled { streamFailures.withLock { $0.append("stream \(stream): \(error)") } }
        }
    }

    private func noteEvent() {
        let now = Int64((ContinuousClock.now - clockEpoch).milliseconds * 1e6)
        var current = lastEvent.load(ordering: .relaxed)
        while now > current {
            let (exchanged, original) = lastEvent.compareExchange(expected: current, desired: now, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Waits until at least `target` has been reached by `counter`, polling every 10 ms; fails after
    /// `timeout` or as soon as a stream has failed.
    func wait(for counter: Counter, toReach target: Int, timeout: Duration, what: String) async throws {
        let deadline = ContinuousClock.now + timeout
        while counter.value < target {
            if let failure = failures.first { throw BenchError("a watch stream failed: \(failure)") }
            guard ContinuousClock.now < deadline else {
                throw BenchError("\(what): \(counter.value) of \(target) within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
