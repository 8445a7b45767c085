import ArgumentParser
import EtcdAPI
import GRPCCore

/// `lease grant|revoke|timetolive|list|keep-alive`. Lease ids are read and printed in hexadecimal.
struct LeaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lease", abstract: "Lease related commands.",
        subcommands: [Grant.self, Revoke.self, TimeToLive.self, List.self, KeepAlive.self])

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "grant", abstract: "Creates leases.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "TTL in seconds") var arguments: [String] = []

        func run() async throws {
            guard arguments.count == 1 else { throw CtlError.badArgs("lease grant command needs TTL argument") }
            var request = Etcdserverpb_LeaseGrantRequest()
            do {
                request.ttl = try GoParseError.int(arguments[0])
            } catch {
                throw CtlError.badArgs("bad TTL (\(error))")
            }
            let context = try global.context()
            let response = try await explained("failed to grant lease") {
                try await context.request { [request] client, options in
                    try await Etcdserverpb_Lease.Client(wrapping: client).leaseGrant(request, options: options)
                }
            }
            try context.print { $0.leaseGrant(response, into: &$1) }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revokes leases.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "lease ID") var arguments: [String] = []

        func run() async throws {
            guard arguments.count == 1 else { throw CtlError.badArgs("lease revoke command needs 1 argument") }
            var request = Etcdserverpb_LeaseRevokeRequest()
            request.id = try GoParseError.leaseID(arguments[0])
            let context = try global.context()
            let response = try await explained("failed to revoke lease") {
                try await context.request { [request] client, options in
                    try await Etcdserverpb_Lease.Client(wrapping: client).leaseRevoke(request, options: options)
                }
            }
            try context.print { $0.leaseRevoke(request.id, response, into: &$1) }
        }
    }

    struct TimeToLive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "timetolive", abstract: "Get lease information.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Get keys attached to this lease.") var keys = false
        @Argument(help: "lease ID") var arguments: [String] = []

        func run() async throws {
            guard arguments.count == 1 else {
                throw CtlError.badArgs("lease timetolive command needs lease ID as argument")
            }
            var request = Etcdserverpb_LeaseTimeToLiveRequest()
            (request.id, request.keys) = (try GoParseError.leaseID(arguments[0]), keys)
            let context = try global.context()
            let response = try await context.request { [request] client, options in
                try await Etcdserverpb_Lease.Client(wrapping: client).leaseTimeToLive(request, options: options)
            }
            try context.print { $0.timeToLive(response, keys: keys, into: &$1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List all active leases.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context()
            let response = try await explained("failed to list leases") {
                try await context.request { client, options in
                    try await Etcdserverpb_Lease.Client(wrapping: client).leaseLeases(.init(), options: options)
                }
            }
            try context.print { $0.leases(response, into: &$1) }
        }
    }

    /// Renews a lease every third of its TTL, printing each answer, until it expires or the user stops it.
    struct KeepAlive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "keep-alive", abstract: "Keeps leases alive.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Renew the lease once and exit.") var once = false
        @Argument(help: "lease ID") var arguments: [String] = []

        func run() async throws {
            guard arguments.count == 1 else {
                throw CtlError.badArgs("lease keep-alive command needs lease ID as argument")
            }
            var request = Etcdserverpb_LeaseKeepAliveRequest()
            request.id = try GoParseError.leaseID(arguments[0])
            let context = try global.context()
            let (printer, options, once) = (context.printer, context.connection.streamOptions, self.once)
            let (answers, answered) = AsyncStream.makeStream(of: Int64.self)
            let expired: Bool
            do {
                expired = try await context.connection.withClient { [request] client in
                    try await Etcdserverpb_Lease.Client(wrapping: client).leaseKeepAlive(options: options) { writer in
                        try await writer.write(request)
                        for await ttl in answers {
                            try await Task.sleep(for: .milliseconds(max(ttl * 1000 / 3, 500)))
                            try await writer.write(request)
                        }
                    } onResponse: { response in
                        for try await message in response.messages {
                            guard message.ttl > 0 else { return true }
                            var out = Output()
                            printer.keepAlive(message, into: &out)
                            out.flush()
                            if once { return false }
                            answered.yield(message.ttl)
                        }
                        return false
                    }
                }
            } catch {
                throw CtlError.badConnection(Connection.describe(error))
            }
            if expired && once { throw CtlError.badConnection("etcdserver: requested lease not found") }
            if expired && printer.format == .simple {
                Output.stdout("lease \(GoFormat.hex(request.id, width: 16)) expired or revoked.")
            }
        }
    }
}

/// etcdctl puts some commands' request errors into a sentence of their own.
private func explained<R>(_ what: String, _ body: () async throws -> R) async throws -> R {
    do {
        return try await body()
    } catch let error as CtlError {
        throw CtlError.failed("\(what) (\(error.message ?? ""))")
    }
}
