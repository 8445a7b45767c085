import ArgumentParser
import EtcdAPI
import Foundation

/// `del key [range_end]`: removes one key, a range, a prefix or everything from a key on.
struct DelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del", abstract: "Removes the specified key or range of keys [key, range_end).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: DelOptions

    func run() async throws {
        let request = try options.request()
        let context = try global.context()
        let response = try await context.request { client, callOptions in
            try await Etcdserverpb_KV.Client(wrapping: client).deleteRange(request, options: callOptions)
        }
        try context.print { $0.delete(response, into: &$1) }
    }
}

/// The options of `del`, also parsed from the `del` lines of a transaction.
struct DelOptions: ParsableArguments {
    @Flag(help: "Delete keys with matching prefix.")
    var prefix = false
    @Flag(name: .customLong("from-key"), help: "Delete keys that are greater than or equal to the given key.")
    var fromKey = false
    @Flag(name: .customLong("prev-kv"), help: "Return deleted key-value pairs.")
    var prevKv = false
    @Argument(help: "key [range_end]")
    var arguments: [String] = []

    func request() throws -> Etcdserverpb_DeleteRangeRequest {
        guard (1...2).contains(arguments.count) else {
            throw CtlError.badArgs("del command needs one argument as key and an optional argument as range_end")
        }
        var request = Etcdserverpb_DeleteRangeRequest()
        (request.key, request.rangeEnd) = try KeyRange.make(arguments, prefix: prefix, fromKey: fromKey)
        request.prevKv = prevKv
        return request
    }
}
