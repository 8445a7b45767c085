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

    static func main() async {
        let arguments: [String]
        do {
            arguments = try GoBooleanFlags.normalized(Array(CommandLine.arguments.dropFirst()))
        } catch {
            exit(withError: ValidationError(error.description))
        }
        await main(arguments)
    }
}

enum KeelVersion {
    static let current = "0.1.0"
}
