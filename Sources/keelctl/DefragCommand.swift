import ArgumentParser
import EtcdAPI

/// `defrag`: defragments the storage of every endpoint in turn.
struct DefragCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defrag", abstract: "Defragments the storage of the etcd members with given endpoints.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Use all endpoints from the cluster member list.") var cluster = false

    func run() async throws {
        let context = try global.context()
        let (results, failed) = try await EndpointCommand.each(context, cluster: cluster) { client, options in
            try await Etcdserverpb_Maintenance.Client(wrapping: client).defragment(.init(), options: options)
        } failure: { endpoint, message in
            Output.stderr("Failed to defragment etcd member[\(endpoint)] (\(message))")
        }
        results.forEach { Output.stdout("Finished defragmenting etcd member[\($0.endpoint)]") }
        if failed != nil { throw CtlError.failed(nil) }
    }
}
