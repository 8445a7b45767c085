import GRPCCore
import NIOCore
import NIOHTTP2

/// The response side of a forwarded call: each write goes to the connection's event loop as HTTP/2 frames
/// and returns once they have been written, so that a client that reads slowly slows its call down instead
/// of growing the server's buffers.
struct ForwardedStreamWriter: ClosableRPCWriterProtocol {
    typealias Element = RPCResponsePart<[UInt8]>

    let connection: NIOLoopBound<GRPCConnectionHandler>
    let streamID: HTTP2StreamID

    func write(_ element: Element) async throws {
        try await write(contentsOf: CollectionOfOne(element))
    }

    func write(contentsOf elements: some Sequence<Element>) async throws {
        let parts = Array(elements)
        if parts.isEmpty { return }
        let connection = connection
        let streamID = streamID
        try await connection.eventLoop.flatSubmit {
            connection.value.send(parts, on: streamID)
        }.get()
    }

    func finish() async {}

    func finish(throwing error: any Error) async {
        let connection = connection
        let streamID = streamID
        connection.eventLoop.execute { connection.value.reset(streamID) }
    }
}
