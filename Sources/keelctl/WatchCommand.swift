import ArgumentParser
import EtcdAPI
import Foundation
import GRPCCore

/// `watch key [range_end]`: prints events as they happen until interrupted or until the server cancels the
/// watch (a compacted start revision, for one), which exits with code 5 as etcdctl does.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Watches events stream on keys or prefixes.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Watch on a prefix if prefix is set.") var prefix = false
    @Option(help: "Revision to start watching.") var rev: Int64 = 0
    @Flag(name: .customLong("prev-kv"), help: "Get the previous key-value pair with each event.") var prevKv = false
    @Argument(help: "key [range_end]") var arguments: [String] = []

    func run() async throws {
        guard (1...2).contains(arguments.count) else { throw CtlError.badArgs("bad number of arguments") }
        if prefix && arguments.count == 2 {
            throw CtlError.badArgs("`range_end` and `--prefix` are mutually exclusive")
        }
        var create = Etcdserverpb_WatchCreateRequest()
        (create.key, create.rangeEnd) = try KeyRange.make(arguments, prefix: prefix, fromKey: false)
        create.startRevision = rev
        create.prevKv = prevKv
        var request = Etcdserverpb_WatchRequest()
        request.createRequest = create
        let context = try global.context()
        let (printer, options) = (context.printer, context.connection.streamOptions)
        do {
            try await context.connection.withClient { [request] client in
                try await Etcdserverpb_Watch.Client(wrapping: client).watch(options: options) { writer in
                    try await writer.write(request)
                    // The request stream stays open: closing it could end the watch on some servers.
                    while true { try await Task.sleep(for: .seconds(3600)) }
                } onResponse: { response in
                    for try await message in response.messages {
                        Self.show(message, with: printer)
                        if message.canceled { return }
                    }
                }
            }
        } catch {
            throw CtlError.failed(Connection.describe(error))
        }
        throw CtlError.interrupted("watch is canceled by the server")
    }

    private static func show(_ response: Etcdserverpb_WatchResponse, with printer: ResponsePrinter) {
        if response.canceled {
            let reason = response.compactRevision != 0
                ? "etcdserver: mvcc: required revision has been compacted"
                : response.cancelReason.isEmpty ? "etcdserver: mvcc: required revision is a future revision"
                : response.cancelReason.hasPrefix("etcdserver:") ? response.cancelReason
                : "rpc error: code = FailedPrecondition desc = \(response.cancelReason)"
            Output.stderr("watch was canceled (\(reason))")
        } else if response.events.isEmpty {
            return
        }
        var out = Output()
        printer.watch(response, into: &out)
        out.flush()
    }
}
