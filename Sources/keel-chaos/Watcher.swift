import ChaosCheck
import EtcdAPI
import Foundation
import StoreClient
import Synchronization

/// A watcher of the run's prefix. It watches through one member at a time; when that member dies, pauses,
/// or its stream fails, it opens a new stream on another member from the revision after the last one it
/// received. Every response with events (or a compaction notice) is recorded with the start revision of the
/// stream it came on.
final class Watcher: Sendable {
    let number: Int
    let prefix: String
    let prefixEnd: String
    private let cluster: ChaosCluster
    private let history: HistoryLog
    private let clock: RunClock
    private let seed: UInt64
    /// The last revision received: every event up to it has been delivered.
    private let lastRevision: Atomic<Int64>
    private let streams = Atomic<Int>(0)

    init(
        number: Int, prefix: String, prefixEnd: String, from revision: Int64, cluster: ChaosCluster,
        history: HistoryLog, clock: RunClock, seed: UInt64
    ) {
        self.number = number
        self.prefix = prefix
        self.prefixEnd = prefixEnd
        self.cluster = cluster
        self.history = history
        self.clock = clock
        self.seed = seed
        self.lastRevision = Atomic(revision)
    }

    /// Every revision up to this one has been delivered to the watcher.
    var received: Int64 { lastRevision.load(ordering: .relaxed) }

    /// How many streams it opened (more than one means it resumed).
    var streamCount: Int { streams.load(ordering: .relaxed) }

    func run(until stop: @escaping @Sendable () -> Bool) async {
        var random = SeededRandom.derived(from: seed, stream: 0x3A7C_0000 + UInt64(number))
        var member = number % cluster.count
        while !stop() && !Task.isCancelled {
            if !cluster.isUp(member) {
                member = Int.random(in: 0..<cluster.count, using: &random)
                try? await Task.sleep(for: .milliseconds(50))
                continue
            }
            await watch(on: member, until: stop)
            member = (member + 1 + Int.random(in: 0..<max(1, cluster.count - 1), using: &random)) % cluster.count
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// One stream on one member, until it fails, the member goes down, or the run stops.
    private func watch(on member: Int, until stop: @escaping @Sendable () -> Bool) async {
        let start = received + 1
        let client = cluster.clients[member]
        let cluster = self.cluster
        var create = Etcdserverpb_WatchCreateRequest()
        create.key = Data(prefix.utf8)
        create.rangeEnd = Data(prefixEnd.utf8)
        create.startRevision = start
        var request = Etcdserverpb_WatchRequest()
        request.requestUnion = .createRequest(create)
        let message = request
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try? await client.withConnection(.safe) { connection, options in
                    var streamOptions = options
                    streamOptions.timeout = nil
                    self.streams.wrappingAdd(1, ordering: .relaxed)
                    try await Etcdserverpb_Watch.Client(wrapping: connection).watch(
                        options: streamOptions,
                        requestProducer: { writer in
                            try await writer.write(message)
                            // A member ends a watch when its client stops sending, so the request side stays open.
                            while true { try await Task.sleep(for: .seconds(3600)) }
                        },
                        onResponse: { response in
                            for try await message in response.messages {
                                try self.accept(message, start: start)
                            }
                        })
                }
            }
            group.addTask {
                while !stop() && cluster.isUp(member) && !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            // Whichever ends first ends the stream: a failed stream, or its member going down.
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func accept(_ message: Etcdserverpb_WatchResponse, start: Int64) throws {
        if message.compactRevision > 0 || message.canceled {
            history.append(
                .watch(
                    WatchRecord(
                        watcher: number, prefix: prefix, startRevision: start, receivedNanos: clock.nanos,
                        revision: message.header.revision, events: [],
                        compactRevision: message.compactRevision > 0 ? message.compactRevision : nil)))
            if message.compactRevision > 0 {
                // The events before the compaction are gone; the checker reports the gap.
                lastRevision.store(max(received, message.compactRevision - 1), ordering: .relaxed)
            }
            throw ChaosError("watch cancelled: \(message.cancelReason)")
        }
        guard !message.events.isEmpty else { return }
        let events = message.events.map { event in
            WatchEvent(
                kind: event.type == .delete ? .delete : .put,
                kv: StoredValue(
                    key: String(decoding: event.kv.key, as: UTF8.self),
                    value: String(decoding: event.kv.value, as: UTF8.self),
                    createRevision: event.kv.createRevision, modRevision: event.kv.modRevision,
                    version: event.kv.version, lease: event.kv.lease))
        }
        history.append(
            .watch(
                WatchRecord(
                    watcher: number, prefix: prefix, startRevision: start, receivedNanos: clock.nanos,
                    revision: message.header.revision, events: events)))
        if let last = events.last?.kv.modRevision {
            lastRevision.store(max(received, last), ordering: .relaxed)
        }
    }
}
