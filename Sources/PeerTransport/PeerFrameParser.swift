import NIOCore
import Raft

/// Splits the bytes of one peer connection into `PeerFrame`s, enforcing the protocol's order and size
/// limits.
///
/// An acceptor's parser expects the handshake first and then, depending on its purpose, stream frames or a
/// single snapshot frame; an initiator's parser reads the acceptor's replies. Snapshot data is copied once,
/// straight into an array reserved at its final size, so a snapshot of hundreds of megabytes never sits in
/// a growing buffer. Any violation throws a `PeerFrameError`, after which the connection must be closed.
struct PeerFrameParser {
    enum Role {
        case acceptor
        case initiator
    }

    private enum State {
        case awaitingHandshake
        case frames
        case snapshotFrameHeader
        case snapshotPrefix(remaining: Int)
        case snapshotData
        case finished
    }

    private let maxFrameSize: Int
    private let maxSnapshotSize: Int
    private var state: State
    private var buffer: ByteBuffer?

    private var snapshotMessage: Message?
    private var snapshotData: [UInt8] = []
    private var snapshotRemaining = 0

    /// The longest snapshot prefix (everything before the data) accepted, to bound buffering of garbage.
    private static let maxSnapshotPrefixSize = 1 << 20

    init(role: Role, maxFrameSize: Int, maxSnapshotSize: Int) {
        self.maxFrameSize = maxFrameSize
        self.maxSnapshotSize = maxSnapshotSize
        switch role {
        case .acceptor: state = .awaitingHandshake
        case .initiator: state = .frames
        }
    }

    /// True while bytes of a frame are buffered or a snapshot is being assembled.
    var isInsideFrame: Bool {
        if buffer?.readableBytes ?? 0 > 0 { return true }
        switch state {
        case .snapshotPrefix, .snapshotData: return true
        case .awaitingHandshake, .frames, .snapshotFrameHeader, .finished: return false
        }
    }

    mutating func append(_ bytes: ByteBuffer) {
        if var existing = buffer, existing.readableBytes > 0 {
            buffer = nil
            // Compacting only when more has been consumed than remains keeps the copying linear.
            if existing.readerIndex > existing.readableBytes { existing.discardReadBytes() }
            existing.writeImmutableBuffer(bytes)
            buffer = existing
        } else {
            buffer = bytes
        }
    }

    /// The next complete frame, or nil when more bytes are needed.
    mutating func next() throws(PeerFrameError) -> PeerFrame? {
        guard var bytes = buffer else { return nil }
        buffer = nil
        defer {
            if bytes.readableBytes > 0 { buffer = bytes }
        }
        return try parse(&bytes)
    }

    private mutating func parse(_ bytes: inout ByteBuffer) throws(PeerFrameError) -> PeerFrame? {
        switch state {
        case .awaitingHandshake:
            guard let (type, payload) = try readFrame(&bytes, limit: PeerFrame.maxControlFrameSize) else { return nil }
            guard type == PeerFrame.FrameType.handshake.rawValue else { throw .unexpectedFrame(type: type) }
            let handshake = try Self.handshake(payload)
            state = handshake.purpose == .stream ? .frames : .snapshotFrameHeader
            return .handshake(handshake)

        case .frames:
            guard let (type, payload) = try readFrame(&bytes, limit: maxFrameSize) else { return nil }
            return try Self.frame(type: type, payload: payload)

        case .snapshotFrameHeader:
            guard bytes.readableBytes >= 9 else { return nil }
            let length = bytes.readInteger(as: UInt64.self)!
            let type = bytes.readInteger(as: UInt8.self)!
            guard type == PeerFrame.FrameType.snapshot.rawValue else { throw .unexpectedFrame(type: type) }
            guard length >= 1, length - 1 <= UInt64(maxSnapshotSize) else {
                throw .frameTooLarge(length: length, limit: UInt64(maxSnapshotSize))
            }
            state = .snapshotPrefix(remaining: Int(length - 1))
            return try parse(&bytes)

        case .snapshotPrefix(let remaining):
            var window = bytes.getSlice(at: bytes.readerIndex, length: min(bytes.readableBytes, remaining))!
            let before = window.readableBytes
            let message: Message
            let dataLength: Int
            do {
                (message, dataLength) = try RaftMessageCodec.decodeSnapshotPrefix(from: &window)
            } catch {
                // The prefix is short; until the frame or the prefix limit is exhausted, wait for more.
                if error.isTruncation && before < remaining && before < Self.maxSnapshotPrefixSize { return nil }
                throw .malformedMessage(error)
            }
            let prefixLength = before - window.readableBytes
            guard prefixLength + dataLength == remaining else {
                throw .inconsistentSnapshotLength(frame: remaining, prefix: prefixLength, data: dataLength)
            }
            bytes.moveReaderIndex(forwardBy: prefixLength)
            snapshotMessage = message
            snapshotData = []
            snapshotData.reserveCapacity(dataLength)
            snapshotRemaining = dataLength
            state = .snapshotData
            return try parse(&bytes)

        case .snapshotData:
            let count = min(bytes.readableBytes, snapshotRemaining)
            if count > 0 {
                bytes.readWithUnsafeReadableBytes { raw in
                    snapshotData.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw.prefix(count)))
                    return count
                }
                snapshotRemaining -= count
            }
            guard snapshotRemaining == 0, var message = snapshotMessage, case .snapshot(var snapshot) = message.kind
            else { return nil }
            snapshot.data = snapshotData
            message.kind = .snapshot(snapshot)
            snapshotData = []
            snapshotMessage = nil
            state = .finished
            return .snapshot(message)

        case .finished:
            guard bytes.readableBytes == 0 else {
                throw .unexpectedFrame(type: bytes.getInteger(at: bytes.readerIndex) ?? 0)
            }
            return nil
        }
    }

    /// Reads one 4-byte-length frame, or nothing when it is not complete yet.
    private func readFrame(
        _ bytes: inout ByteBuffer,
        limit: Int
    ) throws(PeerFrameError) -> (UInt8, ByteBuffer)? {
        guard let length = bytes.getInteger(at: bytes.readerIndex, as: UInt32.self) else { return nil }
        guard length >= 1 else { throw .emptyFrame }
        guard length <= limit else { throw .frameTooLarge(length: UInt64(length), limit: UInt64(limit)) }
        guard bytes.readableBytes >= 4 + Int(length) else { return nil }
        bytes.moveReaderIndex(forwardBy: 4)
        let type = bytes.readInteger(as: UInt8.self)!
        let payload = bytes.readSlice(length: Int(length) - 1)!
        return (type, payload)
    }

    private static func handshake(_ payload: ByteBuffer) throws(PeerFrameError) -> PeerHandshake {
        var payload = payload
        guard payload.readableBytes == PeerHandshake.encodedSize,
            let magic = payload.readInteger(as: UInt32.self),
            let version = payload.readInteger(as: UInt16.self),
            let rawPurpose = payload.readInteger(as: UInt8.self),
            let clusterID = payload.readInteger(as: UInt64.self),
            let senderID = payload.readInteger(as: UInt64.self),
            let receiverID = payload.readInteger(as: UInt64.self)
        else { throw .malformedHandshake("handshake of \(payload.readableBytes) bytes") }
        guard magic == PeerHandshake.magic else { throw .malformedHandshake("bad magic \(magic)") }
        guard version == PeerHandshake.currentVersion else { throw .unsupportedVersion(version) }
        guard let purpose = PeerHandshake.Purpose(rawValue: rawPurpose) else {
            throw .malformedHandshake("unknown purpose \(rawPurpose)")
        }
        return PeerHandshake(
            version: version,
            purpose: purpose,
            clusterID: clusterID,
            senderID: senderID,
            receiverID: receiverID
        )
    }

    private static func frame(type: UInt8, payload: ByteBuffer) throws(PeerFrameError) -> PeerFrame {
        switch PeerFrame.FrameType(rawValue: type) {
        case .raft:
            do {
                return .envelope(.raft(try RaftMessageCodec.decode(exactly: payload)))
            } catch {
                throw .malformedMessage(error)
            }
        case .application:
            var payload = payload
            guard let kind = payload.readInteger(as: UInt8.self),
                let from = payload.readInteger(as: UInt64.self),
                let to = payload.readInteger(as: UInt64.self)
            else { throw .malformedApplicationFrame(length: payload.readableBytes) }
            let body = payload.readBytes(length: payload.readableBytes) ?? []
            return .envelope(.application(kind: kind, payload: body, from: from, to: to))
        case .accepted:
            return .accepted
        case .rejected:
            return .rejected(String(decoding: payload.readableBytesView, as: UTF8.self))
        case .snapshotAck:
            return .snapshotAck
        case .handshake, .snapshot, nil:
            throw .unexpectedFrame(type: type)
        }
    }
}

/// A peer connection that broke the framing protocol; the connection is closed.
enum PeerFrameError: Error, Hashable, Sendable, CustomStringConvertible {
    case emptyFrame
    case frameTooLarge(length: UInt64, limit: UInt64)
    case unexpectedFrame(type: UInt8)
    case malformedHandshake(String)
    case unsupportedVersion(UInt16)
    case malformedMessage(RaftMessageCodecError)
    case malformedApplicationFrame(length: Int)
    case inconsistentSnapshotLength(frame: Int, prefix: Int, data: Int)

    var description: String {
        switch self {
        case .emptyFrame: return "frame of length zero"
        case .frameTooLarge(let length, let limit): return "frame of \(length) bytes exceeds the limit of \(limit)"
        case .unexpectedFrame(let type): return "unexpected frame type \(type)"
        case .malformedHandshake(let reason): return "malformed handshake: \(reason)"
        case .unsupportedVersion(let version): return "unsupported protocol version \(version)"
        case .malformedMessage(let error): return error.description
        case .malformedApplicationFrame(let length): return "application frame of \(length) bytes is too short"
        case .inconsistentSnapshotLength(let frame, let prefix, let data):
            return "snapshot frame of \(frame) bytes holds a \(prefix)-byte header and \(data) data bytes"
        }
    }
}
