import ArgumentParser

/// `keel-chaos`: runs a workload against a Keel cluster while a nemesis injects faults, records the history,
/// and checks it; or checks a history recorded earlier.
@main
struct KeelChaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel-chaos",
        abstract: "Inject faults into a Keel cluster under load and check the recorded history.",
        subcommands: [RunCommand.self, CheckCommand.self]
    )
}
