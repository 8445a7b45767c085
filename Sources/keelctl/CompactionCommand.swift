import ArgumentParser
import EtcdAPI

/// `compaction REV [--physical]`: discards the history before a revision.
struct CompactionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compaction", abstract: "Compacts the event history in etcd.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Wait for compaction to physically remove all old revisions.")
    var physical = false
    @Argument(help: "revision")
    var arguments: [String] = []

    func run() async throws {
        guard arguments.count == 1 else { throw CtlError.badArgs("compaction command needs 1 argument") }
        var request = Etcdserverpb_CompactionRequest()
        do {
            request.revision = try GoParseError.int(arguments[0])
        } catch {
            throw CtlError.failed("\(error)")
        }
        request.physical = physical
        let context = try global.context()
        _ = try await context.request { [request] client, options in
            try await Etcdserverpb_KV.Client(wrapping: client).compact(request, options: options)
        }
        Output.stdout("compacted revision \(request.revision)")
    }
}
