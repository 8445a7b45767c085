import Benchmark
import BenchmarkSupport
import LMDB
import Raft
import RaftLog

/// The member's log write: one iteration appends 100 entries (256-byte payloads) and the hard state to a
/// `RaftLogStore`'s write-ahead log in one write and one `fdatasync`, as a leader persists one Ready of a full
/// batch.
func registerRaftLogBenchmarks() {
    let fixture = Fixture<RaftLogFixture>()
    Benchmark("raft log append 100 entries (write-ahead log, fdatasync)") { benchmark in
        let state = fixture.current
        for _ in benchmark.scaledIterations {
            try state.append(count: 100)
        }
    } setup: {
        fixture.value = try RaftLogFixture()
    } teardown: {
        fixture.value?.close()
        fixture.value = nil
    }
}

/// A bootstrapped single-voter log store in a scratch environment, appended to at its end. The log's older
/// entries are compacted now and then, as a member does after its snapshots, so that long runs stay small.
final class RaftLogFixture {
    private let storage: TemporaryEnvironment
    private let store: RaftLogStore
    private let payload = [UInt8](repeating: UInt8(ascii: "p"), count: 256)

    init() throws {
        storage = try TemporaryEnvironment(durability: .full)
        store = try RaftLogStore(environment: storage.environment, bootstrap: ConfState(voters: [1]))
    }

    func append(count: Int) throws {
        let first = try store.lastIndex() + 1
        let term = store.hardState.term
        let payload = self.payload
        let entries = (0..<LogIndex(count)).map { Entry(term: term, index: first + $0, data: payload) }
        let hardState = HardState(term: term, vote: store.hardState.vote, commit: first - 1)
        try store.save(entries: entries, hardState: hardState, sync: true)
        let last = first + LogIndex(count) - 1
        if last - (try store.firstIndex()) > 20_000 {
            let store = self.store
            try store.write { txn in
                try store.createSnapshot(at: last, confState: ConfState(voters: [1]), data: [], in: txn)
                try store.compact(through: last - 1_000, in: txn)
            }
        }
    }

    func close() {
        storage.close()
    }
}
