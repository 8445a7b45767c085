import ArgumentParser
import EtcdAPI
import Foundation
import GRPCCore

/// `endpoint status|health|hashkv`: asks every endpoint in `--endpoints` (or, with `--cluster`, every member's
/// client URL) on its own, and reports each one.
struct EndpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint", abstract: "Endpoint related commands.",
        subcommands: [Status.self, Health.self, HashKV.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Prints out the status of endpoints specified in `--endpoints` flag.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Use all endpoints from the cluster member list.") var cluster = false

        func run() async throws {
            let context = try global.context()
            let (results, failed) = try await EndpointCommand.each(context, cluster: cluster) { client, options in
                try await Etcdserverpb_Maintenance.Client(wrapping: client).status(.init(), options: options)
            } failure: { endpoint, message in
                Output.stderr("Failed to get the status of endpoint \(endpoint) (\(message))")
            }
            try context.print { $0.statuses(results, into: &$1) }
            if failed != nil { throw CtlError.failed(nil) }
        }
    }

    struct HashKV: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hashkv", abstract: "Prints the KV history hash for each endpoint in --endpoints.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Use all endpoints from the cluster member list.") var cluster = false
        @Option(help: "Maximum revision to hash (default: all revisions).") var rev: Int64 = 0

        func run() async throws {
            let context = try global.context()
            var request = Etcdserverpb_HashKVRequest()
            request.revision = rev
            let (results, failed) = try await EndpointCommand.each(context, cluster: cluster) { [request] in
                try await Etcdserverpb_Maintenance.Client(wrapping: $0).hashKV(request, options: $1)
            } failure: { endpoint, message in
                Output.stderr("Failed to get the hash of endpoint \(endpoint) (\(message))")
            }
            try context.print { $0.hashes(results, into: &$1) }
            if let failed { throw CtlError.failed(failed) }
        }
    }

    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "health",
            abstract: "Checks the healthiness of endpoints specified in `--endpoints` flag.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Use all endpoints from the cluster member list.") var cluster = false

        func run() async throws {
            let context = try global.context()
            let endpoints = try await EndpointCommand.endpoints(context, cluster: cluster)
            // All endpoints at once; results in the order they arrive.
            let results = await withTaskGroup(of: EndpointHealth.self) { group in
                for endpoint in endpoints {
                    group.addTask { await Self.check(endpoint, context.connection) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            var out = Output()
            context.printer.health(results, into: &out)
            out.flush(to: context.printer.format == .simple ? .standardError : .standardOutput)
            if results.contains(where: { !$0.healthy }) { throw CtlError.failed("unhealthy cluster") }
        }

        /// Healthy when a linearizable read succeeds (it goes through consensus) and no alarm is raised.
        private static func check(_ endpoint: Endpoint, _ connection: Connection) async -> EndpointHealth {
            let start = ContinuousClock.now
            let options = connection.options
            do {
                let alarms = try await connection.withClient(at: endpoint) { client in
                    var read = Etcdserverpb_RangeRequest()
                    read.key = Data("health".utf8)
                    do {
                        _ = try await Etcdserverpb_KV.Client(wrapping: client).range(read, options: options)
                    } catch let error as RPCError where error.message == "etcdserver: permission denied" {}
                    let took = GoFormat.duration(ContinuousClock.now - start)
                    var list = Etcdserverpb_AlarmRequest()
                    list.action = .get
                    guard let alarms = try? await Etcdserverpb_Maintenance.Client(wrapping: client)
                        .alarm(list, options: options).alarms
                    else { return (took, "Unable to fetch the alarm list") }
                    let names = alarms.map { $0.alarm == .nospace ? "NOSPACE " : $0.alarm == .corrupt ? "CORRUPT " : "UNKNOWN " }
                    return (took, names.isEmpty ? "" : "Active Alarm(s): " + names.joined())
                }
                return EndpointHealth(endpoint: endpoint.text, healthy: alarms.1.isEmpty, took: alarms.0, error: alarms.1)
            } catch {
                let took = GoFormat.duration(ContinuousClock.now - start)
                return EndpointHealth(endpoint: endpoint.text, healthy: false, took: took, error: Connection.describe(error))
            }
        }
    }

    /// The endpoints to ask: those given, or with `cluster` the client URLs of every member.
    static func endpoints(_ context: CommandContext, cluster: Bool) async throws -> [Endpoint] {
        guard cluster else { return context.connection.endpoints }
        let members = try await context.request { client, options in
            try await Etcdserverpb_Cluster.Client(wrapping: client).memberList(.init(), options: options).members
        }
        return try members.flatMap(\.clientUrls).map(Endpoint.init(parsing:))
    }

    /// Runs one request against each endpoint in turn. Failures are reported through `failure` as they happen;
    /// the last failure's message is returned with the answers.
    static func each<R: Sendable>(
        _ context: CommandContext, cluster: Bool,
        _ body: @escaping @Sendable (StoreClient, CallOptions) async throws -> R,
        failure: (String, String) -> Void
    ) async throws -> ([EndpointResult<R>], String?) {
        var results: [EndpointResult<R>] = []
        var failed: String?
        let options = context.connection.options
        for endpoint in try await endpoints(context, cluster: cluster) {
            do {
                let response = try await context.connection.withClient(at: endpoint) { try await body($0, options) }
                results.append(EndpointResult(endpoint: endpoint.text, response: response))
            } catch {
                failed = Connection.describe(error)
                failure(endpoint.text, failed ?? "")
            }
        }
        return (results, failed)
    }
}
