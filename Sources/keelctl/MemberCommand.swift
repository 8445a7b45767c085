import ArgumentParser
import EtcdAPI

/// `member list|remove|update|promote`. Member ids are printed and read in hexadecimal.
struct MemberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member", abstract: "Membership related commands.",
        subcommands: [List.self, Remove.self, Update.self, Promote.self]
    )

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
            try context.print { $0.members(response, into: &$1) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Removes a member.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "member ID") var arguments: [String] = []

        func run() async throws {
            let id = try memberID(arguments, "remove")
            let context = try global.context()
            let response = try await context.request { client, options in
                var request = Etcdserverpb_MemberRemoveRequest()
                request.id = id
                return try await Etcdserverpb_Cluster.Client(wrapping: client).memberRemove(request, options: options)
            }
            report(context, "removed from", id, response.header)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "update", abstract: "Updates a member.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("peer-urls"), help: "Comma separated peer URLs.") var peerURLs = ""
        @Argument(help: "member ID") var arguments: [String] = []

        func run() async throws {
            let id = try memberID(arguments, "update")
            guard !peerURLs.isEmpty else { throw CtlError.badArgs("member peer urls not provided") }
            let context = try global.context()
            let urls = peerURLs.split(separator: ",").map(String.init)
            let response = try await context.request { client, options in
                var request = Etcdserverpb_MemberUpdateRequest()
                (request.id, request.peerUrls) = (id, urls)
                return try await Etcdserverpb_Cluster.Client(wrapping: client).memberUpdate(request, options: options)
            }
            report(context, "updated in", id, response.header)
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote", abstract: "Promotes a non-voting member in the cluster.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "member ID") var arguments: [String] = []

        func run() async throws {
            let id = try memberID(arguments, "promote")
            let context = try global.context()
            let response = try await context.request { client, options in
                var request = Etcdserverpb_MemberPromoteRequest()
                request.id = id
                return try await Etcdserverpb_Cluster.Client(wrapping: client).memberPromote(request, options: options)
            }
            report(context, "promoted in", id, response.header)
        }
    }
}

private func memberID(_ arguments: [String], _ command: String) throws -> UInt64 {
    guard arguments.count == 1 else { throw CtlError.badArgs("member ID is not provided") }
    do {
        return try GoParse.uint(arguments[0], radix: 16)
    } catch {
        throw CtlError.badArgs("bad member ID arg (\(error)), expecting ID in Hex")
    }
}

private func report(_ context: CommandContext, _ verb: String, _ id: UInt64, _ header: Etcdserverpb_ResponseHeader) {
    var out = Output()
    switch context.printer.format {
    case .fields: context.printer.fields(header, into: &out)
    case .json: out.line(JSON.object([("header", ResponsePrinter.json(header).json)]).text)
    case .simple, .table:
        func padded(_ value: UInt64) -> String {
            let hex = GoFormat.hex(value)
            return String(repeating: " ", count: max(0, 16 - hex.count)) + hex
        }
        out.line("Member \(padded(id)) \(verb) cluster \(padded(header.clusterID))")
    }
    out.flush()
}
