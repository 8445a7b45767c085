import ArgumentParser
import Foundation
import GRPCCore

/// `keelctl`: the store's command-line client. It speaks the etcd v3 API and prints what etcdctl 3.4 prints, so
/// scripts written for one work with the other.
@main
struct KeelCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keelctl",
        abstract: "A command-line client for a Keel store (etcd v3 API).",
        subcommands: [
            GetCommand.self, PutCommand.self, DelCommand.self, TxnCommand.self, WatchCommand.self,
            CompactionCommand.self, LeaseCommand.self, MemberCommand.self, EndpointCommand.self,
            DefragCommand.self, AlarmCommand.self, SnapshotCommand.self,
        ]
    )

    static func main() async {
        let arguments = GlobalOptions.normalize(Array(CommandLine.arguments.dropFirst()))
        if let name = arguments.first, !name.hasPrefix("-"),
            !configuration.subcommands.contains(where: { $0._commandName == name })
        {
            Output.stderr("Error: unknown command \(GoFormat.quote(name)) for \"keelctl\"\nRun 'keelctl --help' for usage.")
            Foundation.exit(1)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CtlError {
            if let message = error.message { Output.stderr("Error: " + message) }
            Foundation.exit(error.code)
        } catch where exitCode(for: error) == .success {
            exit(withError: error)
        } catch {
            // Usage errors exit with 1 like etcdctl's, not with EX_USAGE, and use its words for unknown flags.
            var text = message(for: error)
            if let match = text.wholeMatch(of: /Unknown option '(-+)(.+)'/) {
                text = match.1 == "-"
                    ? "unknown shorthand flag: '\(match.2.prefix(1))' in -\(match.2)" : "unknown flag: --\(match.2)"
            }
            Output.stderr("Error: " + text)
            Foundation.exit(1)
        }
    }
}

/// etcdctl's global flags. Every leaf command includes them, and `normalize` moves them behind the subcommand
/// name so that they may be written anywhere, as etcdctl allows.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Comma-separated gRPC endpoints, tried in order.")
    var endpoints = "127.0.0.1:2379"

    @Option(name: .customLong("dial-timeout"), help: "Time to wait for an endpoint to accept a connection.")
    var dialTimeout = "2s"

    @Option(name: .customLong("command-timeout"), help: "Timeout for short-running commands.")
    var commandTimeout = "5s"

    @Option(name: [.customShort("w"), .customLong("write-out")], help: "Output format: simple, json, fields, table.")
    var writeOut = "simple"

    @Flag(help: "Print keys and values as hex-escaped bytes.")
    var hex = false

    private static let withValue: Set = ["--endpoints", "--dial-timeout", "--command-timeout", "--write-out", "-w"]
    private static let booleans: Set = [
        "prefix", "from-key", "keys-only", "count-only", "print-value-only", "prev-kv", "ignore-value",
        "ignore-lease", "physical", "interactive", "keys", "once", "hex",
    ]

    /// Moves the global options after the subcommand path and turns Go-style `--flag=true|false` into plain flags.
    static func normalize(_ arguments: [String]) -> [String] {
        var globals: [String] = []
        var rest: [String] = []
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if withValue.contains(argument), index + 1 < arguments.count {
                globals += [argument, arguments[index + 1]]
                index += 1
            } else if withValue.contains(name) || argument == "--hex"
                || (argument.hasPrefix("-w") && !argument.hasPrefix("--") && argument.count > 2)
            {
                globals.append(argument)
            } else if argument.hasPrefix("--"), name != argument, booleans.contains(String(name.dropFirst(2))) {
                switch argument.dropFirst(name.count + 1) {
                case "true": if name == "--hex" { globals.append(name) } else { rest.append(name) }
                case "false": break
                default: rest.append(argument)
                }
            } else {
                rest.append(argument)
            }
            index += 1
        }
        return rest + globals + arguments[index...]
    }

    /// The connection and printer these options describe; checked before anything is sent, like etcdctl.
    func context() throws -> CommandContext {
        guard let format = OutputFormat(rawValue: writeOut) else { throw CtlError.badFeature("unsupported output format") }
        let list = try endpoints.split(separator: ",").map { try Endpoint(parsing: String($0)) }
        guard !list.isEmpty else { throw CtlError.badArgs("no endpoints given") }
        return CommandContext(
            connection: Connection(
                endpoints: list, dialTimeout: try Self.duration(dialTimeout), commandTimeout: try Self.duration(commandTimeout)
            ),
            printer: ResponsePrinter(format: format, hex: hex)
        )
    }

    /// Go's `time.ParseDuration` for the units a timeout needs.
    static func duration(_ text: String) throws -> Duration {
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        var rest = Substring(text)
        var seconds = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isNumber && $0 != "." }
            rest = rest.dropFirst(unit.count)
            guard let value = Double(number), let scale = units.first(where: { $0.0 == unit })?.1 else {
                throw CtlError.badArgs("invalid duration \(text)")
            }
            seconds += value * scale
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}

/// What every command needs once its options are parsed.
struct CommandContext: Sendable {
    let connection: Connection
    var printer: ResponsePrinter

    /// One request with `--command-timeout`, against the first endpoint that answers; failures exit with 1.
    func request<R: Sendable>(_ body: @escaping @Sendable (StoreClient, CallOptions) async throws -> R) async throws -> R {
        let options = connection.options
        return try await CtlError.request { try await connection.withClient { try await body($0, options) } }
    }

    /// Prints through the printer and writes the result to stdout at once.
    func print(_ body: (ResponsePrinter, inout Output) throws -> Void) throws {
        var out = Output()
        defer { out.flush() }
        try body(printer, &out)
    }
}

/// A failure that ends the command: the message etcdctl prints after "Error: " and its exit code.
struct CtlError: Error {
    let code: Int32
    /// Nil when the failure was already reported line by line.
    let message: String?

    static func failed(_ message: String?) -> CtlError { CtlError(code: 1, message: message) }
    static func badConnection(_ message: String) -> CtlError { CtlError(code: 2, message: message) }
    static func invalidInput(_ message: String) -> CtlError { CtlError(code: 3, message: message) }
    static func badFeature(_ message: String) -> CtlError { CtlError(code: 4, message: message) }
    static func interrupted(_ message: String) -> CtlError { CtlError(code: 5, message: message) }
    static func badArgs(_ message: String) -> CtlError { CtlError(code: 128, message: message) }

    /// Any error from a request, as the message etcdctl shows for it.
    static func describe(_ error: any Error) -> String {
        Connection.describe(error)
    }

    /// Runs a request and turns its failure into an exit with code 1.
    static func request<R>(_ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let error as CtlError {
            throw error
        } catch {
            throw CtlError.failed(describe(error))
        }
    }
}

/// Go's `strconv.ParseInt`/`ParseUint`, failing with Go's error text, which etcdctl prints for bad numbers.
enum GoParse {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func int(_ text: String, radix: Int = 10) throws(Failure) -> Int64 {
        if let value = Int64(text, radix: radix) { return value }
        throw failure("ParseInt", text, radix)
    }

    static func uint(_ text: String, radix: Int = 10) throws(Failure) -> UInt64 {
        if let value = UInt64(text, radix: radix) { return value }
        throw failure("ParseUint", text, radix)
    }

    /// A lease or member id as etcdctl reads it: hexadecimal, with its own message around Go's error.
    static func id(_ text: String, _ what: String) throws -> Int64 {
        do {
            return try int(text, radix: 16)
        } catch {
            throw CtlError.badArgs("bad \(what) ID arg (\(error)), expecting ID in Hex")
        }
    }

    private static func failure(_ function: String, _ text: String, _ radix: Int) -> Failure {
        let digits = text.drop { $0 == "-" || $0 == "+" }
        let inRange = !digits.isEmpty && digits.allSatisfy { Int(String($0), radix: radix) != nil }
        return Failure(description: "strconv.\(function): parsing \(GoFormat.quote(text)): "
            + (inRange ? "value out of range" : "invalid syntax"))
    }
}
