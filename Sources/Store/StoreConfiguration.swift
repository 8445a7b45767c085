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
    /// Whether LMDB syncs its data file on every commit. Turning it off trades crash safety for speed.
    public var syncOnCommit: Bool = true

    public init() {}
}
