import ArgumentParser
import EtcdAPI

/// `member list`: the members of the cluster, ids in hexadecimal.
struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member", abstract: "Membership related commands.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists all members.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context()
            let response = try await context.request { client, options in
                var request = Etcdserverpb_MemberListRequest()
                request.linearizable = true
                return try await Etcdserverpb_Cluster.Client(wrapping: client).memberList(request, options: options)
            }
            try context.print(table: true) { $0.members(response, into: &$1) }
        }
    }
}
