import MVCC
import Raft

/// Entries applied in the open key-space transaction, not yet visible to readers, and what is to happen
/// once that transaction commits.
///
/// The Raft loop applies the committed entries of several `Ready`s into one LMDB transaction and commits it
/// after `StoreConfiguration.backendBatchInterval`, after `backendBatchLimit` entries, or at once when
/// something waits for it (a linearizable read, a local reader at the read-your-writes gate, an answer that
/// takes effect beyond the key space, a membership change, a snapshot); watchers never wait for it, as they
/// are fed when entries are applied. Until the commit a crash keeps none of it, which loses nothing: the
/// entries are in the write-ahead log, and the applied index committed with the key space says where to apply
/// them again from. Confined to the Raft loop thread.
final class PendingApply {
    let transaction: MVCCWriteTransaction
    let opened: ContinuousClock.Instant
    /// The applier as of the last commit, put back when the transaction is lost.
    let applierBefore: StoreApplier
    /// The last log index applied in the transaction.
    var appliedThrough: LogIndex
    /// How many entries the transaction holds.
    var entries = 0
    /// Answers that are given once the commit makes their effect visible: leases, alarms, compaction.
    var completions: [(PendingProposal, Result<WriteResult, any Error>)] = []
    /// Lease grants and revocations, for the lease clock.
    var leaseChanges: [(WriteRequest, WriteResult.Outcome)] = []
    /// Membership changes applied; the cluster's member list and peers follow at the commit.
    var configChanges: [ConfigChange] = []

    init(transaction: MVCCWriteTransaction, opened: ContinuousClock.Instant, applierBefore: StoreApplier) {
        self.transaction = transaction
        self.opened = opened
        self.applierBefore = applierBefore
        self.appliedThrough = LogIndex(transaction.consistentIndex)
    }

    /// Whether something applied must not wait for the interval: its effect reaches beyond the key space.
    var needsCommitNow: Bool { !completions.isEmpty || !leaseChanges.isEmpty || !configChanges.isEmpty }
}
