import EtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
@testable import GRPCWire
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// How a forwarded stream's writes wait: not at all while the stream's unwritten bytes stay within the budget,
/// for their own bytes past it, and a failure the writer did not wait for is thrown by its next write.
@Suite("ForwardedStreamWriter", .timeLimit(.minutes(2)))
struct ForwardedStreamWriterTests {
    /// What the service saw, shared with the test.
    final class Probe: Sendable {
        let writesReturned = Mutex(0)
        let failedAtWrite = Mutex<Int?>(nil)
        let loopBlocked = Mutex(false)
        let releaseLoop = DispatchSemaphore(value: 0)
    }

    /// A Watch service that takes one request, then (when asked) blocks the server's event loop and writes
    /// `count` responses of `size` value bytes, each with its index as the watch id, `pause` apart.
    struct BurstWatch: Etcdserverpb_Watch.SimpleServiceProtocol {
        let probe: Probe
        let loop: any EventLoop
        let blockLoop: Bool
        let size: Int
        let count: Int
        let pause: Duration

        func watch(
            request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
            response: RPCWriter<Etcdserverpb_WatchResponse>, context: ServerContext
        ) async throws {
            var iterator = request.makeAsyncIterator()
            guard try await iterator.next() != nil else { return }
            if blockLoop {
                let probe = probe
                loop.execute {
                    probe.loopBlocked.withLock { $0 = true }
                    probe.releaseLoop.wait()
                }
                while !probe.loopBlocked.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
            }
            for index in 0..<count {
                var answer = Etcdserverpb_WatchResponse()
                answer.watchID = Int64(index)
                var event = Mvccpb_Event()
                event.kv.value = Data(repeating: 1, count: size)
                answer.events = [event]
                do {
                    try await response.write(answer)
                } catch {
                    probe.failedAtWrite.withLock { $0 = index }
                    throw error
                }
                probe.writesReturned.withLock { $0 += 1 }
                if pause > .zero { try? await Task.sleep(for: pause) }
            }
        }
    }

    /// Runs `body` against a lean server on a one-thread event loop group of its own, whose one forwarded
    /// service is the one `makeService` builds for that group's loop.
    func withServer<Result: Sendable>(
        makeService: (any EventLoop) -> any RegistrableRPCService,
        _ body: @Sendable (Etcdserverpb_Watch.Client<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let forwarding = ForwardedStreamTransport()
        let grpc = GRPCServer(transport: forwarding, services: [makeService(group.next())])
        let server = GRPCWireServer(
            configuration: GRPCWireServer.Configuration(host: "127.0.0.1", port: 0), methods: [],
            forwarding: forwarding, group: group, logger: Logger(label: "test"))
        let result = try await withLeanServer(server, forwardingTo: grpc) { client in
            try await body(Etcdserverpb_Watch.Client(wrapping: client))
        }
        try await group.shutdownGracefully()
        return result
    }

    /// Opens a watch stream with one request, lets `whileBlocked` look at the probe while the server's loop
    /// is blocked, releases the loop and returns the watch ids received.
    func burst(
        size: Int, count: Int, whileBlocked: @escaping @Sendable (Probe) async throws -> Void
    ) async throws -> [Int64] {
        let probe = Probe()
        let received = Mutex<[Int64]>([])
        try await withServer(makeService: { loop in
            BurstWatch(probe: probe, loop: loop, blockLoop: true, size: size, count: count, pause: .zero)
        }) { watch in
            // The observation runs beside the call, not in its response handler: that starts only once the
            // response's headers arrive, which the blocked loop holds back.
            try await watch.watch(
                requestProducer: { writer in
                    try await writer.write(Etcdserverpb_WatchRequest())
                    let deadline = ContinuousClock.now + .seconds(10)
                    while !probe.loopBlocked.withLock({ $0 }) && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    do {
                        try await whileBlocked(probe)
                    } catch {
                        probe.releaseLoop.signal()
                        throw error
                    }
                    probe.releaseLoop.signal()
                },
                onResponse: { response in
                    for try await message in response.messages {
                        received.withLock { $0.append(message.watchID) }
                    }
                })
        }
        return received.withLock { $0 }
    }

    /// Waits until `probe.writesReturned` has stayed the same for 300 ms (or 5 s have passed) and returns it.
    static func settledWrites(_ probe: Probe) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(5)
        var last = -1
        var steadySince = ContinuousClock.now
        while ContinuousClock.now < deadline {
            let now = probe.writesReturned.withLock { $0 }
            if now != last {
                last = now
                steadySince = .now
            } else if steadySince.duration(to: .now) >= .milliseconds(300) {
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return last
    }

    @Test("small writes return without waiting for the connection, and arrive in order")
    func smallWritesDoNotWait() async throws {
        let count = 50
        let ids = try await burst(size: 100, count: count) { probe in
            let returned = try await Self.settledWrites(probe)
            #expect(returned == count, "\(returned) of \(count) writes returned while the event loop was blocked")
        }
        #expect(ids == (0..<Int64(count)).map { $0 })
    }

    @Test("past the budget a write waits for its bytes to be written, and every message still arrives")
    func writesPastTheBudgetWait() async throws {
        let size = 20 * 1024
        let count = 20
        // The writes that fit within the budget return; the one after them waits for the loop.
        let fitting = ForwardedStreamWriter.unwrittenBudget / (size + 16)
        let ids = try await burst(size: size, count: count) { probe in
            let returned = try await Self.settledWrites(probe)
            #expect(returned >= 1)
            #expect(returned <= fitting, "\(returned) writes of \(size) bytes returned with nothing written")
        }
        #expect(ids == (0..<Int64(count)).map { $0 })
    }

    @Test("a write that fails after its writer moved on makes the next write throw")
    func failureIsThrownByTheNextWrite() async throws {
        let probe = Probe()
        let count = 5_000
        try await withServer(makeService: { loop in
            BurstWatch(probe: probe, loop: loop, blockLoop: false, size: 100, count: count, pause: .milliseconds(1))
        }) { watch in
            // The client takes one response and walks away, which resets the stream.
            try await watch.watch(
                requestProducer: { writer in try await writer.write(Etcdserverpb_WatchRequest()) },
                onResponse: { response in
                    for try await _ in response.messages { break }
                })
            let deadline = ContinuousClock.now + .seconds(10)
            while probe.failedAtWrite.withLock({ $0 }) == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let failedAt = probe.failedAtWrite.withLock { $0 }
        #expect(failedAt != nil, "the service wrote \(probe.writesReturned.withLock { $0 }) responses to a closed stream")
        #expect((failedAt ?? count) < count)
    }

    /// A Watch service that answers its one request with `rounds` writes of many responses each, of sizes
    /// from a few bytes to several HTTP/2 frames, every response's watch id its place in the whole sequence.
    struct BatchWatch: Etcdserverpb_Watch.SimpleServiceProtocol {
        static let sizes = [0, 1, 100, 16_000, 16_384, 40_000, 3, 70_000]
        let rounds: Int

        func watch(
            request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
            response: RPCWriter<Etcdserverpb_WatchResponse>, context: ServerContext
        ) async throws {
            var iterator = request.makeAsyncIterator()
            guard try await iterator.next() != nil else { return }
            var next: Int64 = 0
            for round in 0..<rounds {
                var batch: [Etcdserverpb_WatchResponse] = []
                for index in 0..<(10 + round * 7) {
                    var answer = Etcdserverpb_WatchResponse()
                    answer.watchID = next
                    next += 1
                    var event = Mvccpb_Event()
                    event.kv.value = Data(repeating: UInt8(truncatingIfNeeded: index), count: Self.sizes[index % Self.sizes.count])
                    answer.events = [event]
                    batch.append(answer)
                }
                try await response.write(contentsOf: batch)
            }
        }
    }

    @Test("many responses written at once arrive whole and in order, small and larger than a frame")
    func batchedResponsesArriveWhole() async throws {
        let rounds = 12
        let received = try await withServer(makeService: { _ in BatchWatch(rounds: rounds) }) { watch in
            try await watch.watch(
                requestProducer: { writer in try await writer.write(Etcdserverpb_WatchRequest()) },
                onResponse: { response in
                    var received: [(id: Int64, size: Int, byte: UInt8?)] = []
                    for try await message in response.messages {
                        let value = message.events.first?.kv.value ?? Data()
                        received.append((message.watchID, value.count, value.first))
                    }
                    return received
                })
        }
        let expectedCount = (0..<rounds).reduce(0) { $0 + 10 + $1 * 7 }
        #expect(received.count == expectedCount)
        var id: Int64 = 0
        for round in 0..<rounds {
            for index in 0..<(10 + round * 7) where Int(id) < received.count {
                let size = BatchWatch.sizes[index % BatchWatch.sizes.count]
                let got = received[Int(id)]
                #expect(got.id == id)
                #expect(got.size == size, "response \(id)")
                if size > 0 { #expect(got.byte == UInt8(truncatingIfNeeded: index)) }
                id += 1
            }
        }
    }
}
