import EtcdAPI
import GRPCCore
import Logging
import MVCC
import Metrics
import Store
import Synchronization

/// etcd's `Watch` service: any number of watchers on one bidirectional stream, created and cancelled by
/// the client, all fed by one task per stream from a `WatchGroup` of the member's `WatchHub`.
struct WatchService: Etcdserverpb_Watch.SimpleServiceProtocol {
    let member: StoreMember
    let headers: ResponseHeaders
    /// How often watchers that asked for progress notifications get one when idle (etcd: ten minutes).
    let progressInterval: Duration
    let logger: Logger

    func watch(
        request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
        response: RPCWriter<Etcdserverpb_WatchResponse>,
        context: ServerContext
    ) async throws {
        let sender = SerialResponseWriter(writer: response)
        let stream = WatchStream(member: member, headers: headers, sender: sender)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await stream.sendProgressPeriodically(every: progressInterval) }
            group.addTask { await stream.forwardEvents() }
            do {
                for try await message in request {
                    switch message.requestUnion {
                    case .createRequest(let create): await stream.create(create)
                    case .cancelRequest(let cancel): await stream.cancel(watchID: cancel.watchID)
                    case .progressRequest: await stream.sendProgress()
                    case nil: break
                    }
                    if sender.hasFailed { break }
                }
            } catch {
                logger.debug("watch stream ended", metadata: ["error": "\(error)"])
            }
            stream.cancelAll()
            sender.finish()
            group.cancelAll()
        }
    }
}

/// The watchers of one client stream: one `WatchGroup`, read by one task, whose responses go out together.
final class WatchStream: Sendable {
    private struct Registered: Sendable {
        var watcher: Watcher?
        var progressNotify: Bool
        var sentSinceProgress: Bool
    }

    private struct State: Sendable {
        /// By the client's watch id. `watcher` is nil between the id being given and the watcher starting.
        var watchers: [Int64: Registered] = [:]
        /// The client's watch id of each hub watcher.
        var watchIDs: [Int64: Int64] = [:]
        var nextID: Int64 = 0
        var closed = false
    }

    private let member: StoreMember
    private let headers: ResponseHeaders
    private let sender: SerialResponseWriter<Etcdserverpb_WatchResponse>
    private let group: WatchGroup
    private let state = Mutex(State())
    private static let activeWatchers = Meter(label: "keel_watch_watchers")
    /// Events sent by every stream of this process, for `DebugFault.dropWatchEvent`.
    private static let debugFaultCounter = DebugFaultCounter()

    init(member: StoreMember, headers: ResponseHeaders, sender: SerialResponseWriter<Etcdserverpb_WatchResponse>) {
        self.member = member
        self.headers = headers
        self.sender = sender
        self.group = member.watchHub.makeGroup()
    }

    func create(_ request: Etcdserverpb_WatchCreateRequest) async {
        var filter: WatchFilter = []
        for kind in request.filters {
            switch kind {
            case .noput: filter.insert(.noPut)
            case .nodelete: filter.insert(.noDelete)
            case .UNRECOGNIZED: break
            }
        }
        let range = KeyRange(key: Array(request.key), rangeEnd: Array(request.rangeEnd))
        // A watch from "now" starts after every write this member has answered.
        await member.awaitAnsweredWrites()
        let current = member.watchHub.currentRevision
        let start = request.startRevision > 0 ? request.startRevision : current + 1
        let requestedID = request.watchID
        let id: Int64? = state.withLock { state in
            if state.closed { return nil }
            var id = requestedID
            if id == 0 {
                while state.watchers[state.nextID] != nil { state.nextID += 1 }
                id = state.nextID
                state.nextID += 1
            } else if state.watchers[id] != nil {
                return nil
            }
            state.watchers[id] = Registered(watcher: nil, progressNotify: request.progressNotify, sentSinceProgress: false)
            return id
        }
        guard let id else {
            var response = Etcdserverpb_WatchResponse()
            response.header = headers.header(revision: current)
            response.watchID = -1
            response.created = true
            response.canceled = true
            response.cancelReason = "mvcc: duplicate watch ID provided on the WatchStream"
            await sender.send(response)
            return
        }
        Self.activeWatchers.increment()
        var created = Etcdserverpb_WatchResponse()
        created.header = headers.header(revision: current)
        created.watchID = id
        created.created = true
        await sender.send(created)
        // Started only now, so that no event overtakes the confirmation; from an explicit revision, so that
        // what was written meanwhile is read back from the store.
        // Registered under the stream's lock as it starts, so that the forwarding task can place its very
        // first batch (the hub's lock is only ever taken inside this one, never the other way round).
        state.withLock { state in
            guard state.watchers[id] != nil else { return }
            let watcher = group.watch(range: range, startRevision: start, prevKV: request.prevKv, filter: filter)
            state.watchers[id]?.watcher = watcher
            state.watchIDs[watcher.id] = id
        }
    }

    /// Sends what the stream's watchers have, as one write per round, until the stream ends.
    func forwardEvents() async {
        while !Task.isCancelled {
            let deliveries: [WatchGroup.Delivery]
            do {
                guard let next = try await group.next() else { return }
                deliveries = next
            } catch {
                return
            }
            // Read once for the round, not under the hub's lock once per response.
            let current = member.watchHub.currentRevision
            var responses: [Etcdserverpb_WatchResponse] = []
            responses.reserveCapacity(deliveries.count)
            for delivery in deliveries {
                guard let (id, prevKV) = state.withLock({ state -> (Int64, Bool)? in
                    guard let id = state.watchIDs[delivery.watcherID], let watcher = state.watchers[id]?.watcher
                    else { return nil }
                    return (id, watcher.prevKV)
                }) else { continue }
                if let response = self.response(to: delivery.batch, watchID: id, prevKV: prevKV, current: current) {
                    responses.append(response)
                }
            }
            if !responses.isEmpty { await sender.send(contentsOf: responses) }
            if sender.hasFailed { return }
        }
    }

    private func response(
        to batch: WatchBatch, watchID id: Int64, prevKV: Bool, current: Int64
    ) -> Etcdserverpb_WatchResponse? {
        var response = Etcdserverpb_WatchResponse()
        response.watchID = id
        switch batch {
        case .events(let events):
            response.header = headers.header(revision: max(current, events.last?.kv.modRevision ?? 0))
            response.events = events.map { $0.message(withPrevious: prevKV) }
            if member.configuration.debugFaults.contains(.dropWatchEvent),
                let positions = Self.debugFaultCounter.take(response.events.count),
                positions.contains(DebugFault.droppedWatchEventPosition)
            {
                response.events.remove(at: DebugFault.droppedWatchEventPosition - positions.lowerBound)
                if response.events.isEmpty { return nil }
            }
            state.withLock { $0.watchers[id]?.sentSinceProgress = true }
            return response
        case .compacted(let revision):
            // The hub has ended the watcher. etcd's cancellation for compaction carries no revision in its header.
            if unregister(watchID: id) != nil { Self.activeWatchers.decrement() }
            response.header = headers.header(revision: 0)
            response.compactRevision = revision
            response.canceled = true
            return response
        }
    }

    private func unregister(watchID id: Int64) -> Registered? {
        state.withLock { state in
            guard let registered = state.watchers.removeValue(forKey: id) else { return nil }
            if let watcher = registered.watcher { state.watchIDs[watcher.id] = nil }
            return registered
        }
    }

    func cancel(watchID: Int64) async {
        guard let registered = unregister(watchID: watchID) else { return }
        Self.activeWatchers.decrement()
        registered.watcher?.cancel()
        var response = Etcdserverpb_WatchResponse()
        response.header = headers.header(revision: member.watchHub.currentRevision)
        response.watchID = watchID
        response.canceled = true
        await sender.send(response)
    }

    /// Answers a progress request: the revision every watcher of the stream has been brought up to.
    func sendProgress() async {
        var response = Etcdserverpb_WatchResponse()
        let watchers = state.withLock { $0.watchers.values.compactMap(\.watcher) }
        let revisions = watchers.map { $0.progressRevision }
        let revision: Int64
        if revisions.contains(where: { $0 == nil }) {
            revision = revisions.compactMap { $0 }.min() ?? member.watchHub.currentRevision
        } else {
            revision = member.watchHub.currentRevision
        }
        response.header = headers.header(revision: revision)
        response.watchID = -1
        await sender.send(response)
    }

    func sendProgressPeriodically(every interval: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let due: [(Int64, Watcher)] = state.withLock { state in
                var due: [(Int64, Watcher)] = []
                for (id, registered) in state.watchers where registered.progressNotify {
                    if !registered.sentSinceProgress, let watcher = registered.watcher { due.append((id, watcher)) }
                    state.watchers[id]?.sentSinceProgress = false
                }
                return due
            }
            for (id, watcher) in due {
                guard let revision = watcher.progressRevision else { continue }
                var response = Etcdserverpb_WatchResponse()
                response.header = headers.header(revision: revision)
                response.watchID = id
                await sender.send(response)
            }
        }
    }

    func cancelAll() {
        let count = state.withLock { state in
            state.closed = true
            defer {
                state.watchers = [:]
                state.watchIDs = [:]
            }
            return state.watchers.count
        }
        Self.activeWatchers.decrement(by: Double(count))
        group.close()
    }
}
