/// Everything a member needs to start, with etcd's defaults where etcd has the same setting.
public struct StoreConfiguration: Sendable {
    /// Human-readable member name (`--name`).
    public var name: String = "default"
    /// Directory holding the member's LMDB environment (`--data-dir`).
    public var dataDirectory: String = "default.etcd"
    /// URLs advertised to clients (`--advertise-client-urls`).
    public var clientURLs: [String] = ["http://localhost:2379"]
    /// URLs advertised to peers (`--initial-advertise-peer-urls`).
    public var peerURLs: [String] = ["http://localhost:2380"]
    /// `--initial-cluster-token`: mixed into the cluster and member ids so that two clusters never share them.
    public var initialClusterToken: String = "etcd-cluster"
    /// `--quota-backend-bytes`: past it the NOSPACE alarm is raised and writes are refused.
    public var quotaBackendBytes: Int64 = 2 * 1024 * 1024 * 1024
    /// `--max-request-bytes`: the largest request the member accepts.
    public var maxRequestBytes: Int = 1536 * 1024
    /// The largest number of operations in one branch of a txn (`--max-txn-ops`).
    public var maxTxnOps: Int = 128
    /// The shortest lease TTL granted; shorter requests are raised to it (etcd: 1.5 × election timeout).
    public var minimumLeaseTTL: Int64 = 2
    /// Whether the write-ahead log and LMDB sync what they write. Turning it off trades power-loss safety for
    /// speed (a killed process still loses nothing: the data is in the OS page cache).
    public var syncOnCommit: Bool = true
    /// Deliberate defects for showing that the chaos checkers catch them (`--debug-fault`, debug builds only).
    public var debugFaults: Set<DebugFault> = []

    // MARK: Cluster

    /// `--initial-cluster`: every member of a new cluster, this one included. Empty means a cluster of this
    /// member alone, reachable at `peerURLs`. Read only when the data directory is created.
    public var initialCluster: [InitialMember] = []
    /// `--initial-cluster-state`: `new` bootstraps a cluster from `initialCluster`; `existing` joins a running
    /// cluster that has already added this member (`member add`), learning everything from its leader.
    public var initialClusterState: InitialClusterState = .new
    /// `--listen-peer-urls`: where the member accepts connections from its peers.
    public var listenPeerURLs: [String] = ["http://localhost:2380"]
    /// `--heartbeat-interval`: how often a leader tells followers it is alive; one Raft tick.
    public var heartbeatInterval: Duration = .milliseconds(100)
    /// `--election-timeout`: how long a follower waits without hearing from a leader before it campaigns.
    public var electionTimeout: Duration = .milliseconds(1000)
    /// `--snapshot-count`: applied entries between two snapshots of the state, after which the Raft log
    /// before the snapshot (less `snapshotCatchUpEntries`) is dropped.
    public var snapshotCount: Int = 100_000
    /// Entries kept in the log behind a snapshot, so that a follower slightly behind catches up from the log
    /// rather than from a whole snapshot.
    public var snapshotCatchUpEntries: Int = 5_000
    /// A snapshot is also taken once the log has grown by this many bytes since the last one, so that large
    /// entries do not make the log (kept in memory, replayed at start-up) large.
    public var snapshotLogBytes: Int = 32 << 20
    /// At most this many bytes of the `snapshotCatchUpEntries` are kept.
    public var snapshotCatchUpBytes: Int = 16 << 20
    /// `--backend-batch-interval`: the longest applied entries wait before the LMDB transaction holding them
    /// commits (one sync for all of them). Readers that need them sooner make it commit at once; watchers are
    /// fed as entries are applied and never wait for it.
    public var backendBatchInterval: Duration = .milliseconds(10)
    /// `--backend-batch-limit`: the most entries one LMDB transaction holds before it commits.
    public var backendBatchLimit: Int = 10_000

    public init() {}
}

/// A member named in `--initial-cluster`.
public struct InitialMember: Sendable, Hashable {
    public var name: String
    public var peerURLs: [String]

    public init(name: String, peerURLs: [String]) {
        self.name = name
        self.peerURLs = peerURLs
    }
}

/// `--initial-cluster-state`.
public enum InitialClusterState: String, Sendable {
    case new
    case existing
}
