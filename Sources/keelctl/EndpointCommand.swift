import ArgumentParser
import EtcdAPI
import Foundation
import GRPCCore

/// `endpoint status|health|hashkv`: asks each endpoint of `--endpoints` on its own and reports each one.
struct EndpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint", abstract: "Endpoint related commands.",
        subcommands: [Status.self, Health.self, HashKV.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "status", abstract: "Prints endpoint statuses.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context()
            let (results, failed) = await EndpointCommand.each(context) { client, options in
                try await Etcdserverpb_Maintenance.Client(wrapping: client).status(.init(), options: options)
            } failure: { endpoint, message in
                Output.stderr("Failed to get the status of endpoint \(endpoint) (\(message))")
            }
            try context.print(table: true) { $0.statuses(results, into: &$1) }
            if failed != nil { throw CtlError.failed(nil) }
        }
    }

    struct HashKV: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hashkv", abstract: "Prints the KV history hash of each endpoint.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Maximum revision to hash (default: all revisions).") var rev: Int64 = 0

        func run() async throws {
            let context = try global.context()
            var request = Etcdserverpb_HashKVRequest()
            request.revision = rev
            let (results, failed) = await EndpointCommand.each(context) { [request] client, options in
                try await Etcdserverpb_Maintenance.Client(wrapping: client).hashKV(request, options: options)
            } failure: { endpoint, message in
                Output.stderr("Failed to get the hash of endpoint \(endpoint) (\(message))")
            }
            try context.print(table: true) { $0.hashes(results, into: &$1) }
            if let failed { throw CtlError.failed(failed) }
        }
    }

    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "health", abstract: "Checks endpoint health.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let context = try global.context()
            // All endpoints at once; they are reported in the order they answer.
            let results = await withTaskGroup(of: EndpointHealth.self) { group in
                for endpoint in context.connection.endpoints {
                    group.addTask { await Self.check(endpoint, context.connection) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            var out = Output()
            context.printer.health(results, into: &out)
            out.flush(to: context.printer.format == .simple ? .standardError : .standardOutput)
            if results.contains(where: { !$0.healthy }) { throw CtlError.failed("unhealthy cluster") }
        }

        /// Healthy when a linearizable read succeeds, which takes the consensus path, and no alarm is raised.
        private static func check(_ endpoint: Endpoint, _ connection: Connection) async -> EndpointHealth {
            let start = ContinuousClock.now
            let options = connection.options
            var (took, error) = ("", "")
            do {
                (took, error) = try await connection.withClient(at: endpoint) { client in
                    var read = Etcdserverpb_RangeRequest()
                    read.key = Data("health".utf8)
                    do {
                        _ = try await Etcdserverpb_KV.Client(wrapping: client).range(read, options: options)
                    } catch let error as RPCError where error.message == "etcdserver: permission denied" {}
                    let took = GoFormat.duration(ContinuousClock.now - start)
                    guard let alarms = try? await Etcdserverpb_Maintenance.Client(wrapping: client)
                        .alarm(.init(), options: options).alarms
                    else { return (took, "Unable to fetch the alarm list") }
                    let names = alarms.map { [.nospace: "NOSPACE ", .corrupt: "CORRUPT "][$0.alarm] ?? "UNKNOWN " }
                    return (took, names.isEmpty ? "" : "Active Alarm(s): " + names.joined())
                }
            } catch let failure {
                (took, error) = (GoFormat.duration(ContinuousClock.now - start), Connection.describe(failure))
            }
            return EndpointHealth(endpoint: endpoint.text, healthy: error.isEmpty, took: took, error: error)
        }
    }

    /// Sends one request to each endpoint in turn. Failures are reported through `failure` as they happen; the
    /// last one's message is returned with the answers.
    static func each<R: Sendable>(
        _ context: CommandContext, _ body: @escaping @Sendable (StoreClient, CallOptions) async throws -> R,
        failure: (String, String) -> Void
    ) async -> ([EndpointResult<R>], String?) {
        var results: [EndpointResult<R>] = []
        var failed: String?
        let options = context.connection.options
        for endpoint in context.connection.endpoints {
            do {
                let response = try await context.connection.withClient(at: endpoint) { try await body($0, options) }
                results.append(EndpointResult(endpoint: endpoint.text, response: response))
            } catch {
                failed = Connection.describe(error)
                failure(endpoint.text, Connection.describe(error))
            }
        }
        return (results, failed)
    }
}
