import ArgumentParser
import EtcdAPI

/// `defrag`: defragments the storage of each endpoint in turn.
struct DefragCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defrag", abstract: "Defragments the storage of the members with given endpoints.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let context = try global.context()
        let (results, failed) = await EndpointCommand.each(context) { client, options in
            try await Etcdserverpb_Maintenance.Client(wrapping: client).defragment(.init(), options: options)
        } failure: { endpoint, message in
            Output.stderr("Failed to defragment etcd member[\(endpoint)] (\(message))")
        }
        results.forEach { Output.stdout("Finished defragmenting etcd member[\($0.endpoint)]") }
        if failed != nil { throw CtlError.failed(nil) }
    }
}
