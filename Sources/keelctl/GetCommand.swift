import ArgumentParser
import EtcdAPI
import Foundation

/// `get key [range_end]`: one key, a range, a prefix or everything from a key on.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Gets the key or a range of keys.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: GetOptions

    func run() async throws {
        let request = try options.request()
        var context = try global.context()
        let response = try await context.request { client, callOptions in
            try await Etcdserverpb_KV.Client(wrapping: client).range(request, options: callOptions)
        }
        if options.printValueOnly {
            guard context.printer.format == .simple else {
                throw CtlError.badArgs("print-value-only is only for `--write-out=simple`")
            }
            context.printer.valueOnly = true
        }
        if options.countOnly && context.printer.format == .simple {
            return Output.stdout(String(response.count))
        }
        try context.print { $0.get(response, into: &$1) }
    }
}

/// The options of `get`, also parsed from the `get` lines of a transaction.
struct GetOptions: ParsableArguments {
    @Option(help: "Linearizable(l) or Serializable(s).") var consistency = "l"
    @Option(help: "Order of results; ASCEND or DESCEND.") var order = ""
    @Option(name: .customLong("sort-by"), help: "CREATE, KEY, MODIFY, VALUE, or VERSION.") var sortBy = ""
    @Option(help: "Maximum number of results.") var limit: Int64 = 0
    @Option(help: "Revision to read at.") var rev: Int64 = 0
    @Flag(help: "Get keys with matching prefix.") var prefix = false
    @Flag(name: .customLong("from-key"), help: "Get keys greater than or equal to the given key.") var fromKey = false
    @Flag(name: .customLong("keys-only"), help: "Get only the keys.") var keysOnly = false
    @Flag(name: .customLong("count-only"), help: "Get only the count.") var countOnly = false
    @Flag(name: .customLong("print-value-only"), help: "Only write values (simple format).") var printValueOnly = false
    @Argument(help: "key [range_end]") var arguments: [String] = []

    func request() throws -> Etcdserverpb_RangeRequest {
        guard !arguments.isEmpty else {
            throw CtlError.badArgs("get command needs one argument as key and an optional argument as range_end")
        }
        if keysOnly && countOnly {
            throw CtlError.badArgs("`--keys-only` and `--count-only` cannot be set at the same time, choose one")
        }
        guard consistency == "l" || consistency == "s" else {
            throw CtlError.badFeature("unknown consistency flag \(GoFormat.quote(consistency))")
        }
        var request = Etcdserverpb_RangeRequest()
        (request.key, request.rangeEnd) = try KeyRange.make(arguments, prefix: prefix, fromKey: fromKey)
        request.serializable = consistency == "s"
        request.limit = limit
        request.revision = max(rev, 0)
        request.keysOnly = keysOnly
        request.countOnly = countOnly
        let orders: [String: Etcdserverpb_RangeRequest.SortOrder] = ["": .none, "ASCEND": .ascend, "DESCEND": .descend]
        guard let sortOrder = orders[order.uppercased()] else { throw CtlError.badFeature("bad sort order \(order)") }
        let targets: [String: Etcdserverpb_RangeRequest.SortTarget] = [
            "": .key, "KEY": .key, "CREATE": .create, "MODIFY": .mod, "VALUE": .value, "VERSION": .version,
        ]
        guard let sortTarget = targets[sortBy.uppercased()] else {
            throw CtlError.badFeature("bad sort target \(sortBy)")
        }
        (request.sortOrder, request.sortTarget) = (sortOrder, sortTarget)
        // Keys come back in ascending key order anyway; asking for it would make the server sort.
        if request.sortTarget == .key && request.sortOrder == .ascend { request.sortOrder = .none }
        return request
    }
}

/// The `[key, range_end)` that etcdctl's positional arguments, `--prefix` and `--from-key` describe.
enum KeyRange {
    static func make(_ arguments: [String], prefix: Bool, fromKey: Bool) throws -> (Data, Data) {
        if prefix && fromKey {
            throw CtlError.badArgs("`--prefix` and `--from-key` cannot be set at the same time, choose one")
        }
        let key = Data(arguments[0].utf8)
        if arguments.count > 1 {
            guard !prefix && !fromKey else {
                throw CtlError.badArgs(
                    "too many arguments, only accept one argument when `--prefix` or `--from-key` is set")
            }
            return (key, Data(arguments[1].utf8))
        }
        // An empty key with either flag means the whole key space: from "\0" to the end.
        if (prefix || fromKey) && key.isEmpty { return (Data([0]), Data([0])) }
        if fromKey { return (key, Data([0])) }
        return (key, prefix ? prefixEnd(key) : Data())
    }

    /// The first key after every key that starts with `key`.
    static func prefixEnd(_ key: Data) -> Data {
        var end = [UInt8](key)
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return Data(end)
            }
            end.removeLast()
        }
        return Data([0])
    }
}
