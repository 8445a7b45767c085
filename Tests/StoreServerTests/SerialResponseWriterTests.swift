import GRPCCore
@testable import StoreServer
import Synchronization
import Testing

/// Many senders on one response stream: order kept per sender, a send returns once its messages are written,
/// queued sends are written by the sender writing at the time, and a failure or `finish()` lets every sender go.
@Suite("SerialResponseWriter", .timeLimit(.minutes(1)))
struct SerialResponseWriterTests {
    /// A response stream that records what it is given; its first write waits until `release()`, later ones
    /// take a moment, and every write from the `failFrom`-th on throws.
    final class HeldWriter: RPCWriterProtocol, Sendable {
        typealias Element = Int
        let written = Mutex<[Int]>([])
        let writes = Mutex(0)
        let firstWriteEntered = Mutex(false)
        private let gate = AsyncStream.makeStream(of: Void.self)
        let failFrom: Int?

        init(failFrom: Int? = nil) {
            self.failFrom = failFrom
        }

        func release() { gate.continuation.finish() }

        func write(_ element: Int) async throws {
            try await write(contentsOf: [element])
        }

        func write(contentsOf elements: some Sequence<Int>) async throws {
            let index = writes.withLock { count in
                defer { count += 1 }
                return count
            }
            if index == 0 {
                firstWriteEntered.withLock { $0 = true }
                for await _ in gate.stream {}
            }
            if let failFrom, index >= failFrom { throw RPCError(code: .unavailable, message: "gone") }
            // A write that takes a while, as one waiting for the socket does: a send resumed before its write
            // ends would see its message missing.
            if index > 0 { try await Task.sleep(for: .microseconds(300)) }
            written.withLock { $0.append(contentsOf: elements) }
        }
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        #expect(condition())
    }

    @Test("senders queued behind a held write are written in order, each send returning once its messages are")
    func queuedSendersKeepTheirOrder() async throws {
        let stream = HeldWriter()
        let sender = SerialResponseWriter(writer: RPCWriter(wrapping: stream))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sender.send(-1) }
            try await Self.waitUntil { stream.firstWriteEntered.withLock { $0 } }
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<50 {
                        let message = task * 1000 + index
                        await sender.send(contentsOf: [message])
                        #expect(stream.written.withLock { $0.contains(message) }, "send of \(message) returned before it was written")
                    }
                }
            }
            // Give the senders time to queue behind the held write, then let it go.
            try await Task.sleep(for: .milliseconds(50))
            #expect(stream.written.withLock { $0.isEmpty })
            stream.release()
            try await group.waitForAll()
        }
        let written = stream.written.withLock { $0 }
        #expect(written.count == 1 + 8 * 50)
        #expect(written.first == -1)
        for task in 0..<8 {
            let mine = written.filter { $0 / 1000 == task && $0 >= 0 }
            #expect(mine == (0..<50).map { task * 1000 + $0 })
        }
    }

    @Test("after a write fails, every queued and later send returns without writing")
    func failureReleasesEverySender() async throws {
        let stream = HeldWriter(failFrom: 1)
        let sender = SerialResponseWriter(writer: RPCWriter(wrapping: stream))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sender.send(1) }
            try await Self.waitUntil { stream.firstWriteEntered.withLock { $0 } }
            for message in 2...5 { group.addTask { await sender.send(message) } }
            try await Task.sleep(for: .milliseconds(50))
            stream.release()
            try await group.waitForAll()
        }
        #expect(sender.hasFailed)
        let writesBefore = stream.writes.withLock { $0 }
        await sender.send(6)
        #expect(stream.writes.withLock { $0 } == writesBefore)
        #expect(stream.written.withLock { $0 } == [1])
    }

    @Test("finish lets later sends return unwritten; what was queued before it is still written")
    func finishKeepsWhatWasQueued() async throws {
        let stream = HeldWriter()
        let sender = SerialResponseWriter(writer: RPCWriter(wrapping: stream))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await sender.send(1) }
            try await Self.waitUntil { stream.firstWriteEntered.withLock { $0 } }
            group.addTask { await sender.send(2) }
            try await Task.sleep(for: .milliseconds(50))
            sender.finish()
            await sender.send(3)
            stream.release()
            try await group.waitForAll()
        }
        #expect(stream.written.withLock { $0 } == [1, 2])
    }
}
