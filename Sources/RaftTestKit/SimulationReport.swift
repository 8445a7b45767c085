import Raft

/// What a successful run did.
public struct SimulationReport: Sendable, CustomStringConvertible {
    public struct Statistics: Sendable {
        public var events = 0
        public var virtualTime = 0
        public var terms = 0
        public var finalIndex: LogIndex = 0
        public var messagesSent = 0
        public var proposalsAccepted = 0
        public var readsStarted = 0
        public var readsAnswered = 0
        public var crashes = 0
        public var partitions = 0
        public var transfers = 0
        public var snapshotsSent = 0
        public var snapshotsInstalled = 0
        public var configChangesApplied = 0
    }

    public var options: SimulationOptions
    public var statistics: Statistics
    /// Every event, when the run was traced.
    public var trace: [String]

    public var description: String {
        let s = statistics
        return "seed=\(options.seed) \(options) | events=\(s.events) t=\(s.virtualTime)ms leaders=\(s.terms)"
            + " index=\(s.finalIndex) msgs=\(s.messagesSent) proposals=\(s.proposalsAccepted)"
            + " reads=\(s.readsAnswered)/\(s.readsStarted) crashes=\(s.crashes) partitions=\(s.partitions)"
            + " transfers=\(s.transfers) snapshots=\(s.snapshotsInstalled)/\(s.snapshotsSent)"
            + " confchanges=\(s.configChangesApplied)"
    }
}
