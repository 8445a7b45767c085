import MVCC
import Raft
import RaftLog

/// The Raft storage of a member: its `RaftLogStore`, except that a snapshot's payload is the member's whole
/// key space as of now, exported when Raft asks for it.
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
        var snapshot = try log.snapshot()
        guard !snapshot.isEmpty else { return snapshot }
        do {
            snapshot.data = try mvcc.exportState()
        } catch {
            throw .snapshotTemporarilyUnavailable
        }
        return snapshot
    }
}
