import Foundation
import Synchronization
import Testing

@testable import MVCC

@Suite("Concurrent reads")
struct ConcurrencyTests {
    @Test("reads on other threads run during writes and each sees exactly one revision")
    func readsSeeOneRevision() async throws {
        let f = try StoreFixture()
        let store = f.store
        let done = StopSignal()
        let running = StartedCount()
        let readers = (0..<3).map { _ in
            Task.detached { () -> Int in
                var reads = 0
                running.increment()
                // Keep reading until the writer is done, and at least a few times whatever the scheduling.
                while (!done.isSet || reads < 20) && reads < 100_000 {
                    let (response, revision) = try store.rangeWithRevision(RangeRequest(key: [0], rangeEnd: [0]))
                    // Every batch writes the same value to both keys, in one txn.
                    if response.kvs.count == 2 {
                        #expect(response.kvs[0].value == response.kvs[1].value)
                        #expect(response.kvs.map(\.modRevision).max() == revision)
                    }
                    reads += 1
                }
                return reads
            }
        }
        // Give the readers a chance to be running before the writes start (bounded: they may not get a core).
        let deadline = ContinuousClock.now + .seconds(2)
        while running.value < readers.count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        for i in 0..<400 {
            let value = utf8("\(i)")
            try f.txn(
                TxnRequest(success: [
                    .put(PutRequest(key: utf8("a"), value: value)),
                    .put(PutRequest(key: utf8("b"), value: value)),
                ])
            )
        }
        done.set()
        var total = 0
        for reader in readers { total += try await reader.value }
        #expect(total >= 60)
        #expect(f.store.currentRevision == 401)
    }
}

/// A flag one task raises and others poll.
final class StopSignal: Sendable {
    private let raised = Atomic<Bool>(false)

    var isSet: Bool { raised.load(ordering: .acquiring) }

    func set() { raised.store(true, ordering: .releasing) }
}

final class StartedCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .acquiring) }

    func increment() { count.add(1, ordering: .acquiringAndReleasing) }
}
