import ArgumentParser
import Foundation
import GRPCCore

/// `keelctl`: the store's command-line client. It speaks the etcd v3 API and prints what etcdctl 3.4 prints, so
/// that scripts written for one work with the other.
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
        if let name = arguments.first, !name.hasPrefix("-"), name != "help",
            !configuration.subcommands.contains(where: { $0._commandName == name })
        {
            Output.stderr("Error: unknown command \(GoFormat.quote(name)) for \"keelctl\"")
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
            // Usage errors exit with 1, as etcdctl's do, and unknown flags are named in its words.
            var text = message(for: error)
            if let match = text.wholeMatch(of: /Unknown option '(-+)(.+)'/) {
                text = match.1 == "-" ? "unknown shorthand flag: '\(match.2.prefix(1))' in -\(match.2)"
                    : "unknown flag: --\(match.2)"
            }
            Output.stderr("Error: " + text)
            Foundation.exit(1)
        }
    }
}

/// etcdctl's global flags. Every leaf command includes them; `normalize` moves them behind the subcommand names
/// so that they may stand anywhere, as they may for etcdctl.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Comma-separated gRPC endpoints, tried in order.") var endpoints = "127.0.0.1:2379"
    @Option(name: .customLong("dial-timeout"), help: "Time to connect to an endpoint.") var dialTimeout = "2s"
    @Option(name: .customLong("command-timeout"), help: "Timeout for short requests.") var commandTimeout = "5s"
    @Option(name: [.customShort("w"), .customLong("write-out")], help: "simple, json, fields or table.")
    var writeOut = "simple"
    @Flag(help: "Print keys and values as hex-escaped bytes.") var hex = false

    private static let valued: Set = ["--endpoints", "--dial-timeout", "--command-timeout", "--write-out", "-w"]
    private static let booleans: Set = [
        "--prefix", "--from-key", "--keys-only", "--count-only", "--print-value-only", "--prev-kv", "--ignore-value",
        "--ignore-lease", "--physical", "--interactive", "--keys", "--once", "--hex", "--skip-hash-check",
        "--mark-compacted",
    ]

    /// Moves the global options to the end (before any `--`) and turns Go's `--flag=true|false` into plain flags.
    static func normalize(_ arguments: [String]) -> [String] {
        var globals: [String] = []
        var rest: [String] = []
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            if valued.contains(argument), index + 1 < arguments.count {
                globals += [argument, arguments[index + 1]]
                index += 1
            } else if valued.contains(name) || argument == "--hex" || (argument.hasPrefix("-w") && argument.count > 2) {
                globals.append(argument)
            } else if booleans.contains(name), name != argument {
                let value = argument.dropFirst(name.count + 1)
                if value == "true" { name == "--hex" ? globals.append(name) : rest.append(name) }
                if value != "true" && value != "false" { rest.append(argument) }
            } else {
                rest.append(argument)
            }
            index += 1
        }
        return rest + globals + arguments[index...]
    }

    /// The connection and printer these options describe, checked before anything is sent.
    func context() throws -> CommandContext {
        guard let format = OutputFormat(rawValue: writeOut) else {
            throw CtlError.badFeature("unsupported output format")
        }
        let connection = Connection(
            endpoints: try endpoints.split(separator: ",").map { try Endpoint(parsing: String($0)) },
            dialTimeout: try Self.duration(dialTimeout), commandTimeout: try Self.duration(commandTimeout))
        return CommandContext(connection: connection, printer: ResponsePrinter(format: format, hex: hex))
    }

    /// Go's `time.ParseDuration`, e.g. "2s", "500ms", "1m30s".
    static func duration(_ text: String) throws -> Duration {
        let units: [Substring: Double] = ["ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600]
        var rest = Substring(text)
        var seconds = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            let unit = rest.dropFirst(number.count).prefix { !$0.isNumber && $0 != "." }
            guard let value = Double(number), let scale = units[unit] else {
                throw CtlError.badArgs("time: invalid duration \(GoFormat.quote(text))")
            }
            seconds += value * scale
            rest = rest.dropFirst(number.count + unit.count)
        }
        return .nanoseconds(Int64(seconds * 1e9))
    }
}

/// What every command needs once its options are parsed.
struct CommandContext: Sendable {
    let connection: Connection
    var printer: ResponsePrinter

    /// One request bounded by `--command-timeout`, to the first endpoint that answers; failures exit with 1.
    func request<R: Sendable>(
        _ body: @escaping @Sendable (StoreClient, CallOptions) async throws -> R
    ) async throws -> R {
        let options = connection.options
        do {
            return try await connection.withClient { try await body($0, options) }
        } catch {
            throw error as? CtlError ?? CtlError.failed(Connection.describe(error))
        }
    }

    /// Prints a response to stdout at once. `table` says whether this response can be drawn as a table.
    func print(table: Bool = false, _ body: (ResponsePrinter, inout Output) -> Void) throws {
        if printer.format == .table && !table { throw CtlError.badFeature("table not supported as output format") }
        var out = Output()
        body(printer, &out)
        out.flush()
    }
}

/// A failure that ends the command: the message etcdctl prints after "Error: ", and its exit code.
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
}

/// Go's `strconv.ParseInt`, failing with Go's error text, which etcdctl prints for bad numbers.
struct GoParseError: Error, CustomStringConvertible {
    let description: String

    static func int(_ text: String, radix: Int = 10) throws(GoParseError) -> Int64 {
        if let value = Int64(text, radix: radix) { return value }
        let digits = text.drop { $0 == "-" || $0 == "+" }
        let overflow = !digits.isEmpty && digits.allSatisfy { Int(String($0), radix: radix) != nil }
        throw GoParseError(description: "strconv.ParseInt: parsing \(GoFormat.quote(text)): "
            + (overflow ? "value out of range" : "invalid syntax"))
    }

    /// A lease id as etcdctl reads it: hexadecimal, with its own sentence around Go's error.
    static func leaseID(_ text: String) throws -> Int64 {
        do {
            return try int(text, radix: 16)
        } catch {
            throw CtlError.badArgs("bad lease ID arg (\(error)), expecting ID in Hex")
        }
    }
}
