import ArgumentParser

/// The `keel` command: server roles of the Keel control plane.
@main
struct Keel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Keel: a highly-available control plane on a Raft-replicated, revisioned key-value store.",
        version: KeelVersion.current,
        subcommands: [StoreCommand.self, UpCommand.self]
    )
}

enum KeelVersion {
    static let current = "0.1.0"
}
