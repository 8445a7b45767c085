import ArgumentParser
import EtcdAPI
import Foundation
import GRPCProtobuf

/// `put key [value]`: writes one key; the value comes from stdin when it is not given.
struct PutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Puts the given key into the store.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var options: PutOptions

    func run() async throws {
        let request = try options.request(stdin: true)
        let context = try global.context()
        try Connection.checkSendSize(ProtobufSerializer<Etcdserverpb_PutRequest>().serialize(request))
        let response = try await context.request { client, callOptions in
            try await Etcdserverpb_KV.Client(wrapping: client).put(request, options: callOptions)
        }
        try context.print { $0.put(response, into: &$1) }
    }
}

/// The options of `put`, also parsed from the `put` lines of a transaction.
struct PutOptions: ParsableArguments {
    @Option(help: "Lease ID (in hexadecimal) to attach to the key.")
    var lease = "0"
    @Flag(name: .customLong("prev-kv"), help: "Return the previous key-value pair before modification.")
    var prevKv = false
    @Flag(name: .customLong("ignore-value"), help: "Update the key using its current value.")
    var ignoreValue = false
    @Flag(name: .customLong("ignore-lease"), help: "Update the key using its current lease.")
    var ignoreLease = false
    @Argument(help: "key [value]")
    var arguments: [String] = []

    /// `stdin`: whether a missing value may be read from standard input (not inside a transaction).
    func request(stdin: Bool) throws -> Etcdserverpb_PutRequest {
        let usage = "put command needs 1 argument and input from stdin or 2 arguments"
        guard !arguments.isEmpty else { throw CtlError.badArgs(usage) }
        if ignoreValue && arguments.count > 1 {
            throw CtlError.badArgs("put command needs only 1 argument when 'ignore-value' is set")
        }
        var request = Etcdserverpb_PutRequest()
        request.key = Data(arguments[0].utf8)
        if !ignoreValue {
            if arguments.count > 1 {
                request.value = Data(arguments[1].utf8)
            } else if stdin {
                request.value = FileHandle.standardInput.readDataToEndOfFile()
            }
            guard !request.value.isEmpty || arguments.count > 1 else { throw CtlError.badArgs(usage) }
        }
        do {
            request.lease = try GoParseError.int(lease, radix: 16)
        } catch {
            throw CtlError.badArgs("bad lease ID (\(error)), expecting ID in Hex")
        }
        request.prevKv = prevKv
        request.ignoreValue = ignoreValue
        request.ignoreLease = ignoreLease
        return request
    }
}
