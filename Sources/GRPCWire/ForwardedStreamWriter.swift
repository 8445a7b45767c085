import GRPCCore
import NIOCore
import NIOHTTP2

/// The response side of a forwarded call: each write goes to the connection's event loop as HTTP/2 frames.
///
/// A write returns as soon as it is handed over while the stream has less than `unwrittenBudget` bytes not yet
/// written to the socket; past that it waits until its own bytes are written. So a stream of small messages
/// (watch events) costs no wait per message, and a client that reads slowly still slows its call down once
/// the budget is used instead of growing the server's buffers. A write that fails after its caller moved on
/// makes the next write throw.
struct ForwardedStreamWriter: ClosableRPCWriterProtocol {
    typealias Element = RPCResponsePart<[UInt8]>

    /// Enough for a burst of watch responses to a client that keeps up; little next to what HTTP/2's window
    /// already lets a client that stopped reading leave in the server's buffers.
    static let unwrittenBudget = 64 * 1024

    let connection: NIOLoopBound<GRPCConnectionHandler>
    let streamID: HTTP2StreamID
    let backlog = WriteBacklog()

    func write(_ element: Element) async throws {
        try await write(contentsOf: CollectionOfOne(element))
    }

    func write(contentsOf elements: some Sequence<Element>) async throws {
        let parts = Array(elements)
        if parts.isEmpty { return }
        if let failure = backlog.failure { throw failure }
        let bytes = GRPCMessageFrame.framedLength(of: parts)
        let unwritten = backlog.submitted(bytes)
        let connection = connection
        let streamID = streamID
        let written = connection.eventLoop.flatSubmit {
            connection.value.send(parts, on: streamID)
        }
        let backlog = backlog
        written.whenComplete { result in
            switch result {
            case .success: backlog.finished(bytes, error: nil)
            case .failure(let error): backlog.finished(bytes, error: error)
            }
        }
        if unwritten > Self.unwrittenBudget || parts.contains(where: Self.endsStream) {
            try await written.get()
        }
    }

    /// The status ends the call: its caller learns whether it was written.
    private static func endsStream(_ part: Element) -> Bool {
        if case .status = part { return true }
        return false
    }

    func finish() async {}

    func finish(throwing error: any Error) async {
        let connection = connection
        let streamID = streamID
        connection.eventLoop.execute { connection.value.reset(streamID) }
    }
}
