import GRPCCore

/// The request side of a forwarded call: the messages read from its stream, each giving its bytes back to
/// the stream's receive window only once the service has taken it, so that a client sending faster than the
/// service reads is held back by HTTP/2 flow control rather than buffered by the server.
struct ForwardedInbound: AsyncSequence, Sendable {
    typealias Element = RPCRequestPart<[UInt8]>
    typealias Failure = any Error

    /// A part and the bytes of the stream's window it holds.
    struct Part: Sendable {
        var part: Element
        var windowBytes: Int
    }

    let parts: AsyncThrowingStream<Part, any Error>
    /// Called with the window bytes of each part as it is handed to the service.
    let consumed: @Sendable (Int) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<Part, any Error>.AsyncIterator
        let consumed: @Sendable (Int) -> Void

        mutating func next() async throws -> Element? {
            guard let part = try await base.next() else { return nil }
            if part.windowBytes > 0 { consumed(part.windowBytes) }
            return part.part
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: parts.makeAsyncIterator(), consumed: consumed)
    }
}
