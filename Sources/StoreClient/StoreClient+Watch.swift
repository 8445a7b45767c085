import EtcdAPI
import Foundation
import GRPCCore
import Synchronization

extension StoreClient {
    /// Watches the keys of `keys` from `fromRevision` (from the next change when `nil`).
    ///
    /// When the stream or its endpoint fails, the watch is opened again on the next endpoint that answers,
    /// from the revision after the last one delivered: no revision is delivered twice and none is skipped.
    /// The stream ends with ``StoreClientError/Code/compacted`` (carrying the compaction revision) when the
    /// revisions it needs are compacted away, with ``StoreClientError/Code/closed`` when the client closes,
    /// and normally when the consumer stops iterating. Batches wait in an unbounded buffer for the consumer.
    ///
    /// - Parameters:
    ///   - prevKV: include each key's previous state in its events.
    ///   - progressNotify: ask for empty batches when the watch is idle, reporting the revision reached.
    public func watch(
        _ keys: KeyRange, fromRevision: Int64? = nil, prevKV: Bool = false, filters: WatchFilters = [],
        progressNotify: Bool = false
    ) -> AsyncThrowingStream<WatchResponse, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchResponse.self)
        var create = Etcdserverpb_WatchCreateRequest()
        let bounds = keys.bounds
        create.key = Data(bounds.key)
        create.rangeEnd = Data(bounds.rangeEnd)
        create.prevKv = prevKV
        create.progressNotify = progressNotify
        if filters.contains(.noPut) { create.filters.append(.noput) }
        if filters.contains(.noDelete) { create.filters.append(.nodelete) }
        let cursor = WatchCursor(next: fromRevision.flatMap { $0 > 0 ? $0 : nil })
        let request = create
        let task = startBackgroundTask { [self] in
            await self.runWatch(request, cursor: cursor, progressNotify: progressNotify, into: continuation)
        }
        if let task {
            continuation.onTermination = { _ in task.cancel() }
        } else {
            continuation.finish(throwing: StoreClientError.closedClient)
        }
        return stream
    }

    private func runWatch(
        _ request: Etcdserverpb_WatchCreateRequest, cursor: WatchCursor, progressNotify: Bool,
        into continuation: AsyncThrowingStream<WatchResponse, any Error>.Continuation
    ) async {
        var failedRounds = 0
        while true {
            if Task.isCancelled || isClosed { return finish(continuation) }
            let index = pool.order(for: .read)[0]
            let member = pool.members[index]
            let streamsBefore = cursor.streamsCreated
            do {
                try await watchStream(
                    request, on: member, cursor: cursor, progressNotify: progressNotify, into: continuation)
                logger.debug("watch stream ended", metadata: ["endpoint": "\(member.endpoint)"])
                pool.failed(index)
            } catch let stop as WatchStop {
                continuation.finish(throwing: stop.error)
                return
            } catch {
                if Task.isCancelled || isClosed { return finish(continuation) }
                let failure = error as? WatchStreamFailure
                switch classify(failure?.error ?? error, endpoint: member.endpoint, opened: failure?.opened ?? true) {
                case .final(let failure)
                where failure.rpcError?.code == .internalError || failure.rpcError?.code == .unknown
                    || failure.code == .cancelled:
                    // As etcd's clients do: an internal error may be a broken frame, and the stream can resume.
                    // A cancellation that is not this task's came from the connection going away.
                    logger.debug("watch stream failed", metadata: ["error": "\(failure)"])
                    pool.failed(index)
                case .final(let failure):
                    continuation.finish(throwing: failure)
                    return
                case .unreachable(let failure), .interrupted(let failure), .refused(let failure):
                    logger.debug("watch failing over", metadata: ["error": "\(failure)"])
                    pool.failed(index)
                }
            }
            failedRounds = cursor.streamsCreated > streamsBefore ? 1 : failedRounds + 1
            // The next endpoint is tried at once; only a whole round of failures waits.
            if failedRounds % pool.count == 0 {
                do {
                    try await Task.sleep(for: configuration.retry.backoff(afterRound: failedRounds / pool.count))
                } catch {
                    return finish(continuation)
                }
            }
        }
    }

    private func finish(_ continuation: AsyncThrowingStream<WatchResponse, any Error>.Continuation) {
        if isClosed {
            continuation.finish(throwing: StoreClientError.closedClient)
        } else {
            continuation.finish()
        }
    }

    /// One watch stream on one endpoint, from the cursor's next revision; returns or throws when it ends.
    private func watchStream(
        _ create: Etcdserverpb_WatchCreateRequest, on member: EndpointPool.Member, cursor: WatchCursor,
        progressNotify: Bool, into continuation: AsyncThrowingStream<WatchResponse, any Error>.Continuation
    ) async throws {
        var create = create
        create.startRevision = cursor.next ?? 0
        var message = Etcdserverpb_WatchRequest()
        message.requestUnion = .createRequest(create)
        let request = message
        let progress = CallProgress()
        let options = streamOptions
        let endpoint = member.endpoint
        do {
            try await CallProgressInterceptor.$current.withValue(progress) {
                try await withDialTimeout(configuration.dialTimeout, progress) {
                    try await Etcdserverpb_Watch.Client(wrapping: member.grpc).watch(
                        options: options,
                        requestProducer: { writer in
                            try await writer.write(request)
                            // The request side stays open: a member ends the watch when its client stops sending.
                            while true { try await Task.sleep(for: .seconds(3600)) }
                        },
                        onResponse: { response in
                            for try await message in response.messages {
                                if let batch = try cursor.accept(message, endpoint: endpoint) {
                                    if !batch.events.isEmpty || progressNotify { continuation.yield(batch) }
                                }
                            }
                        })
                }
            }
        } catch let error as WatchStop {
            throw error
        } catch {
            throw WatchStreamFailure(error: error, opened: progress.isOpened)
        }
    }
}

/// The store ended the watch for good: compaction or cancellation.
struct WatchStop: Error {
    let error: StoreClientError
}

private struct WatchStreamFailure: Error {
    let error: any Error
    let opened: Bool
}

/// Where a watch is: the first revision not yet delivered, which is where it resumes.
final class WatchCursor: Sendable {
    private struct State {
        /// `nil` for a watch from "now" until the store says which revision that is.
        var next: Int64?
        var streamsCreated = 0
    }

    private let state: Mutex<State>

    init(next: Int64?) {
        state = Mutex(State(next: next))
    }

    var next: Int64? { state.withLock { $0.next } }

    var streamsCreated: Int { state.withLock { $0.streamsCreated } }

    /// Takes in one message of a watch stream. Returns what to deliver (events already delivered dropped),
    /// `nil` for nothing, and throws ``WatchStop`` when the store ended the watch.
    func accept(_ message: Etcdserverpb_WatchResponse, endpoint: Endpoint) throws(WatchStop) -> WatchResponse? {
        if message.canceled {
            if message.compactRevision > 0 {
                throw WatchStop(error: .compacted(at: message.compactRevision, endpoint: endpoint))
            }
            throw WatchStop(
                error: StoreClientError(
                    code: .watchCanceled,
                    message: message.cancelReason.isEmpty ? "the watch was cancelled" : message.cancelReason,
                    endpoint: endpoint))
        }
        if message.compactRevision > 0 {
            throw WatchStop(error: .compacted(at: message.compactRevision, endpoint: endpoint))
        }
        return state.withLock { state -> WatchResponse? in
            if message.created {
                state.streamsCreated += 1
                // A watch from "now" starts after the revision current at creation; later streams resume there.
                if state.next == nil { state.next = message.header.revision + 1 }
                return nil
            }
            let next = state.next ?? 0
            let fresh = message.events.filter { $0.kv.modRevision >= next }
            if let last = fresh.last {
                state.next = last.kv.modRevision + 1
                return WatchResponse(message, events: fresh.map(Event.init))
            }
            guard message.events.isEmpty else { return nil }
            // A progress notification: every change up to the header's revision has been sent.
            state.next = max(next, message.header.revision + 1)
            return WatchResponse(message, events: [])
        }
    }
}
