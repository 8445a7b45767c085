import GRPCCore
import NIOCore

/// gRPC's length-prefixed message framing: one byte of compression flag, a four-byte big-endian length, the
/// message. Only uncompressed messages are produced; a compressed one is reported, never misread.
public enum GRPCMessageFrame {
    public static let prefixLength = 5

    /// Appends `message` to `buffer` with its prefix.
    public static func write(_ message: [UInt8], to buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
    }

    /// The bytes the messages among `parts` take once framed.
    static func framedLength(of parts: [RPCResponsePart<[UInt8]>]) -> Int {
        parts.reduce(0) { total, part in
            guard case .message(let message) = part else { return total }
            return total + prefixLength + message.count
        }
    }

    /// A buffer holding `message` framed.
    public static func framed(_ message: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: prefixLength + message.count)
        write(message, to: &buffer)
        return buffer
    }
}

/// Why a stream of framed messages cannot be read.
public enum GRPCMessageFrameError: Error, Equatable, CustomStringConvertible {
    case compressed
    case tooLarge(length: Int, limit: Int)

    public var description: String {
        switch self {
        case .compressed: return "compressed messages are not supported"
        case .tooLarge(let length, let limit):
            return "message of \(length) bytes exceeds the limit of \(limit) bytes"
        }
    }
}

/// Collects the bytes of one direction of a stream and hands out whole messages, however the DATA frames cut
/// them. A message larger than `maximumLength` is refused as soon as its prefix is seen, before its bytes are
/// buffered.
public struct GRPCMessageReader {
    public let maximumLength: Int
    private var pending: ByteBuffer?

    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    /// The bytes not yet part of a whole message.
    public var bufferedBytes: Int { pending?.readableBytes ?? 0 }

    public mutating func append(_ bytes: ByteBuffer) {
        if pending == nil || pending!.readableBytes == 0 {
            pending = bytes
        } else {
            var more = bytes
            pending!.writeBuffer(&more)
        }
    }

    /// The next whole message, or nil when more bytes are needed.
    public mutating func next() throws(GRPCMessageFrameError) -> [UInt8]? {
        guard var buffer = pending, buffer.readableBytes >= GRPCMessageFrame.prefixLength else { return nil }
        let start = buffer.readerIndex
        let flag = buffer.getInteger(at: start, as: UInt8.self)!
        let length = Int(buffer.getInteger(at: start + 1, as: UInt32.self)!)
        if flag != 0 { throw .compressed }
        if length > maximumLength { throw .tooLarge(length: length, limit: maximumLength) }
        guard buffer.readableBytes >= GRPCMessageFrame.prefixLength + length else { return nil }
        buffer.moveReaderIndex(forwardBy: GRPCMessageFrame.prefixLength)
        let message = buffer.readBytes(length: length)!
        pending = buffer.readableBytes == 0 ? nil : buffer
        return message
    }
}
