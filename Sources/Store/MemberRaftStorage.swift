import Foundation
import MVCC
import Raft
import RaftLog
import Synchronization

/// The Raft storage of a member: its `RaftLogStore`, except that a snapshot's payload is the member's whole
/// key space, exported when Raft asks for it (in the background: Raft is told to ask again meanwhile).
///
/// The key space may be ahead of the snapshot's index (it keeps applying); that is safe because it records
/// the index it was applied through (the consistent index), and a member that installs it skips the entries
/// it already holds, as etcd does.
final class MemberRaftStorage: RaftStorage {
    let log: RaftLogStore
    private let mvcc: MVCCStore

    init(log: RaftLogStore, mvcc: MVCCStore) {
        self.log = log
        self.mvcc = mvcc
    }

    func initialState() throws(RaftStorageError) -> (HardState, ConfState) { try log.initialState() }

    func entries(from lo: LogIndex, to hi: LogIndex, maxSize: Int) throws(RaftStorageError) -> [Entry] {
        try log.entries(from: lo, to: hi, maxSize: maxSize)
    }

    func term(of index: LogIndex) throws(RaftStorageError) -> Term { try log.term(of: index) }

    func firstIndex() throws(RaftStorageError) -> LogIndex { try log.firstIndex() }

    func lastIndex() throws(RaftStorageError) -> LogIndex { try log.lastIndex() }

    func snapshot() throws(RaftStorageError) -> Snapshot {
        let stored = try log.snapshot()
        guard !stored.isEmpty else { return stored }
        // Exporting a large key space takes a while: it runs on a thread of its own so that the Raft loop
        // keeps ticking and heartbeating, and Raft asks again until the export is ready.
        let instant = ContinuousClock.now
        let action = export.state.withLock { state -> ExportAction in
            switch state {
            case .ready(let data, let at) where at.duration(to: instant) < Self.exportReuse:
                return .use(data)
            case .preparing:
                return .wait
            case .idle, .ready:
                state = .preparing
                return .start
            }
        }
        switch action {
        case .use(let data):
            var snapshot = stored
            snapshot.data = data
            return snapshot
        case .wait:
            throw .snapshotTemporarilyUnavailable
        case .start:
            let mvcc = self.mvcc
            let export = self.export
            let thread = Thread {
                do {
                    let data = try mvcc.exportState()
                    export.state.withLock { $0 = .ready(data, at: ContinuousClock.now) }
                } catch {
                    export.state.withLock { $0 = .idle }
                }
            }
            thread.name = "keel-snapshot-export"
            thread.start()
            throw .snapshotTemporarilyUnavailable
        }
    }

    /// An export is handed to every follower that asks within this time, then made afresh.
    static let exportReuse: Duration = .seconds(10)

    private let export = ExportBox()

    private final class ExportBox: Sendable {
        let state = Mutex<ExportState>(.idle)
    }

    private enum ExportState: Sendable {
        case idle
        case preparing
        case ready([UInt8], at: ContinuousClock.Instant)
    }

    private enum ExportAction {
        case use([UInt8])
        case wait
        case start
    }
}
