import ArgumentParser

/// `keel-bench`: load generation and measurements against any etcd v3 endpoint, Keel's or etcd's, so that
/// both are driven by the same client code. Each workload is one subcommand.
@main
struct KeelBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel-bench",
        abstract: "Load and measure etcd v3 servers (Keel or etcd).",
        subcommands: [
            PutCommand.self, RangeCommand.self, TxnPutCommand.self, TxnMixedCommand.self, WatchCommand.self,
            WatchGetCommand.self, LeaseKeepAliveCommand.self, LoadCommand.self, StartupCommand.self,
            FailoverCommand.self, RSSCommand.self,
        ]
    )
}
